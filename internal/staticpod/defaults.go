package staticpod

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// setDefaults applies the v1 defaults the kubelet's UniversalDecoder sets
// (pkg/apis/core/v1/defaults.go via zz_generated.defaults.go) that decide
// what runs or what validation sees. Not mirrored: probe, resource and
// pod-level defaults, which neither validation below nor the lab reads.
func setDefaults(pod *corev1.Pod) {
	spec := &pod.Spec
	// SetDefaults_PodSpec.
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = spec.DeprecatedServiceAccount //nolint:staticcheck // mirrors upstream
	}
	spec.DeprecatedServiceAccount = spec.ServiceAccountName //nolint:staticcheck // mirrors upstream
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if spec.TerminationGracePeriodSeconds == nil {
		period := int64(corev1.DefaultTerminationGracePeriodSeconds)
		spec.TerminationGracePeriodSeconds = &period
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = corev1.DefaultSchedulerName
	}
	// SetDefaults_Pod: a negative grace period becomes 1.
	if *spec.TerminationGracePeriodSeconds < 0 {
		one := int64(1)
		spec.TerminationGracePeriodSeconds = &one
	}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		// SetDefaults_Volume: a volume without a source is an emptyDir,
		// so `hostpath:` (dropped: field names are case-sensitive) leaves
		// an emptyDir behind.
		if allPtrFieldsNil(&v.VolumeSource) {
			v.VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		}
		// SetDefaults_HostPathVolumeSource.
		if v.HostPath != nil && v.HostPath.Type == nil {
			unset := corev1.HostPathUnset
			v.HostPath.Type = &unset
		}
	}
	for i := range spec.InitContainers {
		defaultContainer(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		defaultContainer(&spec.Containers[i])
	}
}

// defaultContainer mirrors SetDefaults_Container and
// SetDefaults_ContainerPort.
func defaultContainer(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		if imageTag(c.Image) == "latest" {
			c.ImagePullPolicy = corev1.PullAlways
		} else {
			c.ImagePullPolicy = corev1.PullIfNotPresent
		}
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = corev1.ProtocolTCP
		}
	}
}

// imageTag is the tag of an image reference, "latest" when it has neither
// tag nor digest (pkg/util/parsers.ParseImageName's result as
// SetDefaults_Container uses it).
func imageTag(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	name := image[strings.LastIndexByte(image, '/')+1:]
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return "latest"
}

// allPtrFieldsNil mirrors k8s.io/utils/ptr.AllPtrFieldsNil for a struct
// of pointers.
func allPtrFieldsNil(obj any) bool {
	v := reflect.ValueOf(obj).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			return false
		}
	}
	return true
}

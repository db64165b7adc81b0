package staticpod

import (
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validate mirrors the rules of validation.ValidatePodCreate
// (pkg/apis/core/validation/validation.go) that a static pod manifest
// meets in practice; each function below names the upstream function it
// follows. Errors use apimachinery's field errors, so they read as the
// kubelet logs them.
func validate(pod *corev1.Pod, opts Options) field.ErrorList {
	// applyDefaults (pkg/kubelet/config/common.go) runs before validation:
	// the name gets "-nodename", the namespace defaults to "default".
	meta := pod.ObjectMeta
	if opts.NodeName != "" {
		meta.Name = fmt.Sprintf("%s-%s", meta.Name, strings.ToLower(opts.NodeName))
	}
	if meta.Namespace == "" {
		meta.Namespace = metav1.NamespaceDefault
	}
	// validatePodMetadataAndSpec: ValidateObjectMeta with ValidatePodName
	// (a DNS subdomain).
	specPath := field.NewPath("spec")
	errs := apimachineryvalidation.ValidateObjectMeta(&meta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	vols, volErrs := validateVolumes(pod.Spec.Volumes, specPath.Child("volumes"))
	errs = append(errs, volErrs...)
	errs = append(errs, validateContainers(pod.Spec.Containers, vols, specPath.Child("containers"))...)
	if len(pod.Spec.InitContainers) > 0 {
		errs = append(errs, validateInitContainers(pod.Spec.InitContainers, pod.Spec.Containers, vols, specPath.Child("initContainers"))...)
	}
	errs = append(errs, notSupported(specPath.Child("restartPolicy"), string(pod.Spec.RestartPolicy),
		string(corev1.RestartPolicyAlways), string(corev1.RestartPolicyOnFailure), string(corev1.RestartPolicyNever))...)
	errs = append(errs, notSupported(specPath.Child("dnsPolicy"), string(pod.Spec.DNSPolicy),
		string(corev1.DNSClusterFirstWithHostNet), string(corev1.DNSClusterFirst), string(corev1.DNSDefault), string(corev1.DNSNone))...)
	// ValidatePodCreate.
	if len(pod.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(specPath.Child("ephemeralContainers"), "cannot be set on create"))
	}
	return errs
}

// notSupported mirrors validateRestartPolicy and validateDNSPolicy: empty
// is Required, anything outside supported is NotSupported.
func notSupported(fld *field.Path, value string, supported ...string) field.ErrorList {
	switch {
	case value == "":
		return field.ErrorList{field.Required(fld, "")}
	case !sets.New(supported...).Has(value):
		return field.ErrorList{field.NotSupported(fld, value, supported)}
	}
	return nil
}

// supportedHostPathTypes is supportedHostPathTypes in validation.go.
var supportedHostPathTypes = sets.New(
	corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
	corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev)

// validateVolumes mirrors ValidateVolumes: a volume with an error is left
// out of the returned set, so a mount naming it is also "Not found".
func validateVolumes(volumes []corev1.Volume, fld *field.Path) (map[string]corev1.VolumeSource, field.ErrorList) {
	var errs field.ErrorList
	names := sets.New[string]()
	vols := map[string]corev1.VolumeSource{}
	for i, v := range volumes {
		idx := fld.Index(i)
		el := validateVolumeSource(&v.VolumeSource, idx)
		if v.Name == "" {
			el = append(el, field.Required(idx.Child("name"), ""))
		} else {
			el = append(el, dns1123Label(v.Name, idx.Child("name"))...)
		}
		if names.Has(v.Name) {
			el = append(el, field.Duplicate(idx.Child("name"), v.Name))
		}
		if len(el) == 0 {
			names.Insert(v.Name)
			vols[v.Name] = v.VolumeSource
		} else {
			errs = append(errs, el...)
		}
	}
	return vols, errs
}

// validateVolumeSource mirrors validateVolumeSource for the count of
// sources and validateHostPathVolumeSource for hostPath. The kubelet does
// not require an absolute hostPath: validation checks only that it is set,
// has no ".." element, and has a supported type.
func validateVolumeSource(src *corev1.VolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	count := 0
	v := reflect.ValueOf(src).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		count++
		if count > 1 {
			name := strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
			errs = append(errs, field.Forbidden(fld.Child(name), "may not specify more than 1 volume type"))
		}
	}
	if count == 0 {
		errs = append(errs, field.Required(fld, "must specify a volume type"))
	}
	if hp := src.HostPath; hp != nil {
		hpPath := fld.Child("hostPath")
		if hp.Path == "" {
			return append(errs, field.Required(hpPath.Child("path"), ""))
		}
		errs = append(errs, pathNoBacksteps(hp.Path, hpPath.Child("path"))...)
		if hp.Type != nil && !supportedHostPathTypes.Has(*hp.Type) {
			errs = append(errs, field.NotSupported(hpPath.Child("type"), hp.Type, sets.List(supportedHostPathTypes)))
		}
	}
	return errs
}

// pathNoBacksteps mirrors validatePathNoBacksteps.
func pathNoBacksteps(p string, fld *field.Path) field.ErrorList {
	for _, item := range strings.Split(filepath.ToSlash(p), "/") {
		if item == ".." {
			return field.ErrorList{field.Invalid(fld, p, "must not contain '..'")}
		}
	}
	return nil
}

// localDescendingPath mirrors validateLocalDescendingPath (subPath).
func localDescendingPath(p string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if path.IsAbs(p) {
		errs = append(errs, field.Invalid(fld, p, "must be a relative path"))
	}
	return append(errs, pathNoBacksteps(p, fld)...)
}

// validateContainers mirrors validateContainers: at least one container,
// names unique among them.
func validateContainers(containers []corev1.Container, vols map[string]corev1.VolumeSource, fld *field.Path) field.ErrorList {
	if len(containers) == 0 {
		return field.ErrorList{field.Required(fld, "")}
	}
	var errs field.ErrorList
	names := sets.New[string]()
	for i := range containers {
		c := &containers[i]
		errs = append(errs, validateContainer(c, vols, fld.Index(i))...)
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(fld.Index(i).Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	return errs
}

// validateInitContainers mirrors the parts of validateInitContainers that
// apply to every container, and its rule that init container names differ
// from each other and from the containers'.
func validateInitContainers(inits, containers []corev1.Container, vols map[string]corev1.VolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for _, c := range containers {
		names.Insert(c.Name)
	}
	for i := range inits {
		c := &inits[i]
		errs = append(errs, validateContainer(c, vols, fld.Index(i))...)
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(fld.Index(i).Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	return errs
}

// validateContainer mirrors validateContainerCommon (name, image,
// terminationMessagePolicy, ports, volumeMounts, imagePullPolicy) and
// validateContainerOnlyForPod (image whitespace).
func validateContainer(c *corev1.Container, vols map[string]corev1.VolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(fld.Child("name"), ""))
	} else {
		errs = append(errs, dns1123Label(c.Name, fld.Child("name"))...)
	}
	if c.Image == "" {
		errs = append(errs, field.Required(fld.Child("image"), ""))
	} else if len(c.Image) != len(strings.TrimSpace(c.Image)) {
		errs = append(errs, field.Invalid(fld.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	errs = append(errs, notSupported(fld.Child("terminationMessagePolicy"), string(c.TerminationMessagePolicy),
		string(corev1.TerminationMessageReadFile), string(corev1.TerminationMessageFallbackToLogsOnError))...)
	errs = append(errs, validatePorts(c.Ports, fld.Child("ports"))...)
	errs = append(errs, validateVolumeMounts(c.VolumeMounts, vols, fld.Child("volumeMounts"))...)
	errs = append(errs, notSupported(fld.Child("imagePullPolicy"), string(c.ImagePullPolicy),
		string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever))...)
	return errs
}

// validatePorts mirrors validateContainerPorts: port numbers in range and
// a supported protocol.
func validatePorts(ports []corev1.ContainerPort, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, p := range ports {
		idx := fld.Index(i)
		if p.ContainerPort == 0 {
			errs = append(errs, field.Required(idx.Child("containerPort"), ""))
		} else {
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				errs = append(errs, field.Invalid(idx.Child("containerPort"), p.ContainerPort, msg))
			}
		}
		if p.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(p.HostPort)) {
				errs = append(errs, field.Invalid(idx.Child("hostPort"), p.HostPort, msg))
			}
		}
		errs = append(errs, notSupported(idx.Child("protocol"), string(p.Protocol),
			string(corev1.ProtocolSCTP), string(corev1.ProtocolTCP), string(corev1.ProtocolUDP))...)
	}
	return errs
}

// validateVolumeMounts mirrors ValidateVolumeMounts: the volume exists
// (and is valid), mountPath is set and unique, subPath and subPathExpr
// stay below the volume. mountPath need not be absolute: the kubelet makes
// a relative one absolute (makeMounts in pkg/kubelet/kubelet_pods.go).
func validateVolumeMounts(mounts []corev1.VolumeMount, vols map[string]corev1.VolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	points := sets.New[string]()
	for i, m := range mounts {
		idx := fld.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(idx.Child("name"), ""))
		}
		if _, ok := vols[m.Name]; !ok {
			errs = append(errs, field.NotFound(idx.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(idx.Child("mountPath"), ""))
		}
		if points.Has(m.MountPath) {
			errs = append(errs, field.Invalid(idx.Child("mountPath"), m.MountPath, "must be unique"))
		}
		points.Insert(m.MountPath)
		// Upstream uses the list's path here, not the item's.
		if m.SubPath != "" {
			errs = append(errs, localDescendingPath(m.SubPath, fld.Child("subPath"))...)
		}
		if m.SubPathExpr != "" {
			if m.SubPath != "" {
				errs = append(errs, field.Invalid(idx.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive"))
			}
			errs = append(errs, localDescendingPath(m.SubPathExpr, fld.Child("subPathExpr"))...)
		}
	}
	return errs
}

// dns1123Label mirrors ValidateDNS1123Label.
func dns1123Label(value string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(value) {
		errs = append(errs, field.Invalid(fld, value, msg))
	}
	return errs
}

// apiObjectReference mirrors podutil.HasAPIObjectReference
// (pkg/api/pod/util.go), which tryDecodeSinglePod calls: a static pod may
// not use anything it would need the API server for. It returns the
// resource named in the kubelet's error, "" when there is none.
func apiObjectReference(pod *corev1.Pod) string {
	spec := &pod.Spec
	if spec.ServiceAccountName != "" {
		return "serviceaccounts"
	}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	if len(spec.ImagePullSecrets) > 0 || envRefs(all, true) || volumeRefs(spec.Volumes, true) {
		return "secrets"
	}
	if envRefs(all, false) || volumeRefs(spec.Volumes, false) {
		return "configmaps"
	}
	if len(spec.ResourceClaims) > 0 {
		return "resourceclaims"
	}
	for _, v := range spec.Volumes {
		switch {
		case v.CSI != nil:
			return "csidrivers (via CSI volumes)"
		case v.Glusterfs != nil:
			return "endpoints (via glusterFS volumes)"
		case v.PersistentVolumeClaim != nil:
			return "persistentvolumeclaims"
		case v.Ephemeral != nil:
			return "persistentvolumeclaims (via ephemeral volumes)"
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				switch {
				case s.ServiceAccountToken != nil:
					return "serviceaccounts (via projected volumes)"
				case s.ClusterTrustBundle != nil:
					return "clustertrustbundles"
				case s.PodCertificate != nil:
					return "podcertificates"
				}
			}
		}
	}
	return ""
}

// envRefs reports whether a container's env or envFrom names a Secret
// (secrets) or a ConfigMap (!secrets), as VisitPodSecretNames and
// VisitPodConfigmapNames find them.
func envRefs(containers []corev1.Container, secrets bool) bool {
	for _, c := range containers {
		for _, e := range c.EnvFrom {
			if (secrets && e.SecretRef != nil) || (!secrets && e.ConfigMapRef != nil) {
				return true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if (secrets && e.ValueFrom.SecretKeyRef != nil) || (!secrets && e.ValueFrom.ConfigMapKeyRef != nil) {
				return true
			}
		}
	}
	return false
}

// volumeRefs reports whether a volume names a Secret (secrets) or a
// ConfigMap (!secrets), directly, through a projected volume, or (for
// secrets) through a volume plugin's secretRef.
func volumeRefs(volumes []corev1.Volume, secrets bool) bool {
	for _, v := range volumes {
		if secrets {
			if v.Secret != nil || v.AzureFile != nil || (v.CephFS != nil && v.CephFS.SecretRef != nil) ||
				(v.Cinder != nil && v.Cinder.SecretRef != nil) || (v.FlexVolume != nil && v.FlexVolume.SecretRef != nil) ||
				(v.ISCSI != nil && v.ISCSI.SecretRef != nil) || (v.RBD != nil && v.RBD.SecretRef != nil) ||
				(v.ScaleIO != nil && v.ScaleIO.SecretRef != nil) || (v.StorageOS != nil && v.StorageOS.SecretRef != nil) ||
				(v.CSI != nil && v.CSI.NodePublishSecretRef != nil) {
				return true
			}
		} else if v.ConfigMap != nil {
			return true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if (secrets && s.Secret != nil) || (!secrets && s.ConfigMap != nil) {
					return true
				}
			}
		}
	}
	return false
}

var (
	containerFieldRE = regexp.MustCompile(`^spec\.containers\[(\d+)\]\.(name|image)$`)
	mountNameRE      = regexp.MustCompile(`^(spec\.(?:init)?[cC]ontainers\[\d+\]\.volumeMounts\[\d+\])\.name$`)
)

// describe says what a field error means for a reader; the kubelet's own
// wording stays in Error.Kubelet.
func describe(e *field.Error, pod *corev1.Pod) string {
	switch {
	case e.Type == field.ErrorTypeRequired && e.Field == "spec.containers":
		return "spec.containers is empty"
	case e.Type == field.ErrorTypeRequired && containerFieldRE.MatchString(e.Field):
		m := containerFieldRE.FindStringSubmatch(e.Field)
		i, err := strconv.Atoi(m[1])
		if err != nil || i >= len(pod.Spec.Containers) {
			return e.Error()
		}
		if m[2] == "name" {
			return fmt.Sprintf("spec.containers[%d].name is missing", i)
		}
		return fmt.Sprintf("spec.containers[%d] (%s): image is missing", i, pod.Spec.Containers[i].Name)
	case e.Type == field.ErrorTypeNotFound && mountNameRE.MatchString(e.Field):
		m := mountNameRE.FindStringSubmatch(e.Field)
		return fmt.Sprintf("%s mounts volume %q, which spec.volumes does not define", m[1], e.BadValue)
	}
	return e.Error()
}

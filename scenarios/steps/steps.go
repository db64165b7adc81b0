// Package steps applies a scenario's setup and next steps to a lab:
// objects through client-go against the lab's API server, so seeding is the
// same on every provider; snapshots and commands through the lab's node.
package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
)

// Env is the lab that steps act on.
type Env struct {
	Node       labs.Node
	RESTConfig *rest.Config
	Logger     *log.Logger
}

// DefaultWait bounds a waitFor step without a timeout.
const DefaultWait = readyz.StepTimeout

// Apply runs steps in order and stops at the first that fails, saying
// which.
func Apply(ctx context.Context, env Env, steps []scenarios.Step) error {
	if env.Logger == nil {
		env.Logger = log.NoOp()
	}
	var client kubernetes.Interface
	for i, st := range steps {
		if NeedsAPI(st) && client == nil {
			c, err := kubernetes.NewForConfig(env.RESTConfig)
			if err != nil {
				return fmt.Errorf("connecting to the lab's API server: %w", err)
			}
			client = c
		}
		if err := apply(ctx, env, client, st); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, Describe(st), err)
		}
		env.Logger.V(1).Infof("  done: %s", Describe(st))
	}
	return nil
}

// NeedsAPI reports whether a step talks to the API server.
func NeedsAPI(st scenarios.Step) bool {
	return st.Namespace != nil || st.ConfigMap != nil || st.Secret != nil || st.Deployment != nil || st.Service != nil || st.Delete != nil
}

// Describe says what a step does, in a few words.
func Describe(st scenarios.Step) string {
	switch {
	case st.Namespace != nil:
		return "create namespace " + st.Namespace.Name
	case st.ConfigMap != nil:
		return "create configmap " + st.ConfigMap.Namespace + "/" + st.ConfigMap.Name
	case st.Secret != nil:
		return "create secret " + st.Secret.Namespace + "/" + st.Secret.Name
	case st.Deployment != nil:
		return "create deployment " + st.Deployment.Namespace + "/" + st.Deployment.Name
	case st.Service != nil:
		return "create service " + st.Service.Namespace + "/" + st.Service.Name
	case st.Snapshot != nil:
		return "save an etcd snapshot to " + st.Snapshot.Path
	case st.Delete != nil:
		name := st.Delete.Name
		if st.Delete.Namespace != "" {
			name = st.Delete.Namespace + "/" + name
		}
		return "delete " + strings.ToLower(st.Delete.Kind) + " " + name
	case st.Command != nil:
		first, _, _ := strings.Cut(strings.TrimSpace(st.Command.Script), "\n")
		return "run " + first
	case st.WaitFor != nil:
		return "wait for " + st.WaitFor.Condition
	}
	return "empty step"
}

func apply(ctx context.Context, env Env, c kubernetes.Interface, st scenarios.Step) error {
	switch {
	case st.Namespace != nil:
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: st.Namespace.Name}}
		_, err := c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	case st.ConfigMap != nil:
		s := st.ConfigMap
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name}, Data: s.Data}
		api := c.CoreV1().ConfigMaps(s.Namespace)
		_, err := api.Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = api.Update(ctx, cm, metav1.UpdateOptions{})
		}
		return err
	case st.Secret != nil:
		s := st.Secret
		data := map[string][]byte{}
		for k, v := range s.Data {
			data[k] = []byte(v)
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name}, Type: corev1.SecretTypeOpaque, Data: data}
		api := c.CoreV1().Secrets(s.Namespace)
		_, err := api.Create(ctx, sec, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = api.Update(ctx, sec, metav1.UpdateOptions{})
		}
		return err
	case st.Deployment != nil:
		return createDeployment(ctx, c, st.Deployment)
	case st.Service != nil:
		return createService(ctx, c, st.Service)
	case st.Delete != nil:
		return deleteObject(ctx, c, st.Delete)
	case st.Snapshot != nil:
		return SaveSnapshot(ctx, env.Node, st.Snapshot.Path)
	case st.Command != nil:
		return Run(ctx, env.Node, st.Command.Script)
	case st.WaitFor != nil:
		timeout := DefaultWait
		if st.WaitFor.Timeout != "" {
			d, err := time.ParseDuration(st.WaitFor.Timeout)
			if err != nil {
				return err
			}
			timeout = d
		}
		switch st.WaitFor.Condition {
		case scenarios.ConditionEtcdHealthy:
			return WaitEtcdHealthy(ctx, env.Node, timeout)
		case scenarios.ConditionAPIServerNotReady:
			return WaitAPIServerNotReady(ctx, env.RESTConfig, timeout)
		}
		return WaitAPIServerReady(ctx, env.RESTConfig, timeout)
	}
	return fmt.Errorf("the step sets no action")
}

func createDeployment(ctx context.Context, c kubernetes.Interface, s *scenarios.DeploymentStep) error {
	replicas := int32(s.Replicas)
	if replicas == 0 {
		replicas = 1
	}
	labels := map[string]string{"app": s.Name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: s.Name, Image: s.Image}}},
			},
		},
	}
	api := c.AppsV1().Deployments(s.Namespace)
	_, err := api.Create(ctx, d, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = api.Update(ctx, d, metav1.UpdateOptions{})
	}
	return err
}

func createService(ctx context.Context, c kubernetes.Interface, s *scenarios.ServiceStep) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, Labels: map[string]string{"app": s.Name}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": s.Name},
			Ports:    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: int32(s.Port), TargetPort: intstr.FromInt32(int32(s.Port))}},
		},
	}
	api := c.CoreV1().Services(s.Namespace)
	_, err := api.Create(ctx, svc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// An update keeps the allocated cluster IP.
		cur, getErr := api.Get(ctx, s.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		cur.Labels, cur.Spec.Selector, cur.Spec.Ports = svc.Labels, svc.Spec.Selector, svc.Spec.Ports
		_, err = api.Update(ctx, cur, metav1.UpdateOptions{})
	}
	return err
}

// deleteObject deletes an object; one already gone is not an error.
func deleteObject(ctx context.Context, c kubernetes.Interface, s *scenarios.DeleteStep) error {
	var err error
	opts := metav1.DeleteOptions{}
	switch s.Kind {
	case "Namespace":
		err = c.CoreV1().Namespaces().Delete(ctx, s.Name, opts)
	case "ConfigMap":
		err = c.CoreV1().ConfigMaps(s.Namespace).Delete(ctx, s.Name, opts)
	case "Secret":
		err = c.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name, opts)
	case "Deployment":
		err = c.AppsV1().Deployments(s.Namespace).Delete(ctx, s.Name, opts)
	case "Service":
		err = c.CoreV1().Services(s.Namespace).Delete(ctx, s.Name, opts)
	default:
		return fmt.Errorf("cannot delete a %s", s.Kind)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// etcdctlArgs are the flags that reach the lab's etcd from its node.
func etcdctlArgs(args ...string) []string {
	return append([]string{"etcdctl", "--endpoints=" + kubeadm.EtcdLocalClientURL(),
		"--cacert=" + kubeadm.CertFile(kubeadm.EtcdCACertAndKeyBaseName),
		"--cert=" + kubeadm.CertFile(kubeadm.EtcdServerCertAndKeyBaseName),
		"--key=" + kubeadm.KeyFile(kubeadm.EtcdServerCertAndKeyBaseName)}, args...)
}

// SaveSnapshot saves a snapshot of the lab's etcd at path on the node with
// etcdctl, as a learner would.
func SaveSnapshot(ctx context.Context, node labs.Node, path string) error {
	return exec(ctx, node, etcdctlArgs("snapshot", "save", path))
}

// Run runs script with `bash -c` on the node.
func Run(ctx context.Context, node labs.Node, script string) error {
	return exec(ctx, node, []string{"bash", "-c", script})
}

// exec runs args on the node and returns an error carrying the command's
// last lines of output when it fails.
func exec(ctx context.Context, node labs.Node, args []string) error {
	var out bytes.Buffer
	err := node.Exec(ctx, labs.Command{Args: args, Stdout: &out, Stderr: &out})
	if err == nil {
		return nil
	}
	return &commandError{err: err, output: lastLines(strings.TrimSpace(out.String()), 5)}
}

// commandError is a node command that failed, said in one line: the
// step that ran it already names it.
type commandError struct {
	err    error
	output string
}

func (e *commandError) Error() string {
	msg := e.err.Error()
	var ee *labs.ExitError
	if errors.As(e.err, &ee) {
		msg = fmt.Sprintf("%s: exit status %d", ee.Args[0], ee.Code)
	}
	if e.output != "" {
		msg += ": " + e.output
	}
	return msg
}

func (e *commandError) Unwrap() error { return e.err }

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

package grader

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const objectsNS = "ckat-objects"

// seedObjects creates the objects a scenario's setup would make before the
// backup: a namespace, a ConfigMap, a Secret, a Service, a NetworkPolicy
// and a Deployment.
func seedObjects(tb testing.TB, c kubernetes.Interface) {
	tb.Helper()
	ctx := context.Background()
	objs := []func() error{
		func() error {
			_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: objectsNS}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.CoreV1().ConfigMaps(objectsNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-config"},
				Data: map[string]string{"mode": "production", "replicas": "3"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.CoreV1().Secrets(objectsNS).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-password"},
				StringData: map[string]string{"password": "s3cr3t-before-backup"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.CoreV1().Services(objectsNS).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.NetworkingV1().NetworkPolicies(objectsNS).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-all"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			labels := map[string]string{"app": "web"}
			_, err := c.AppsV1().Deployments(objectsNS).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}}}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, create := range objs {
		if err := create(); err != nil && !apierrors.IsAlreadyExists(err) {
			tb.Fatal(err)
		}
	}
}

var (
	refNamespace = ObjectRef{Kind: "Namespace", Name: objectsNS}
	refConfigMap = ObjectRef{Kind: "ConfigMap", Namespace: objectsNS, Name: "app-config", Data: map[string]string{"mode": "production", "replicas": "3"}}
	refSecret    = ObjectRef{Kind: "Secret", Namespace: objectsNS, Name: "db-password", Data: map[string]string{"password": "s3cr3t-before-backup"}}
	refWeb       = ObjectRef{Kind: "Deployment", Namespace: objectsNS, Name: "web", Image: "nginx:1.27"}
	refService   = ObjectRef{Kind: "Service", Namespace: objectsNS, Name: "web", Port: 80}
	refPolicy    = ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: objectsNS, Name: "deny-all"}
	refAfter     = ObjectRef{Kind: "ConfigMap", Namespace: objectsNS, Name: "made-after-backup"}
)

// seedControlled adds what controllers would have done, which the test's
// API server (no kube-controller-manager, no kube-scheduler) does not: the
// Deployment web's status (1 replica, up to date), a Deployment api scaled
// to 3 whose status still shows 1, a Pod bound to node controlplane and
// one not scheduled.
func seedControlled(tb testing.TB, c kubernetes.Interface) {
	tb.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": "api"}
	three := int32(3)
	_, err := c.AppsV1().Deployments(objectsNS).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "nginx:1.27"}}}}}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		tb.Fatal(err)
	}
	for _, name := range []string{"web", "api"} {
		setDeploymentStatus(tb, c, name, 1)
	}
	// The ServiceAccount admission plugin wants the namespace's default
	// ServiceAccount, which kube-controller-manager would make.
	_, err = c.CoreV1().ServiceAccounts(objectsNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		tb.Fatal(err)
	}
	for name, node := range map[string]string{"scheduled": "controlplane", "pending": ""} {
		_, err := c.CoreV1().Pods(objectsNS).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			tb.Fatal(err)
		}
	}
}

// setDeploymentStatus sets a Deployment's status as its controller would:
// replicas, all of them up to date.
func setDeploymentStatus(tb testing.TB, c kubernetes.Interface, name string, replicas int32) {
	tb.Helper()
	if err := updateDeploymentStatus(c, name, replicas); err != nil {
		tb.Fatal(err)
	}
}

func updateDeploymentStatus(c kubernetes.Interface, name string, replicas int32) error {
	ctx := context.Background()
	d, err := c.AppsV1().Deployments(objectsNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	d.Status.ObservedGeneration, d.Status.Replicas, d.Status.UpdatedReplicas = d.Generation, replicas, replicas
	_, err = c.AppsV1().Deployments(objectsNS).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	return err
}

func replicas(n int32) *int32 { return &n }

// bothViews is the source of evidence when LIST and GET agree.
func bothViews(ref ObjectRef) string { return "API server: LIST and GET " + ref.String() }

func TestObjectsCheck(t *testing.T) {
	srv := apiServerForTest(t)
	seedObjects(t, srv.client(t))
	seedControlled(t, srv.client(t))
	live := func(*testing.T) *rest.Config { return srv.config }
	refAPI := ObjectRef{Kind: "Deployment", Namespace: objectsNS, Name: "api", Replicas: replicas(3)}
	refScheduled := ObjectRef{Kind: "Pod", Namespace: objectsNS, Name: "scheduled", NodeName: "controlplane"}
	refPending := ObjectRef{Kind: "Pod", Namespace: objectsNS, Name: "pending", NodeName: "controlplane"}
	with := func(ref ObjectRef, change func(*ObjectRef)) ObjectRef {
		ref.Data = map[string]string{}
		for k, v := range refConfigMap.Data {
			if ref.Name == refConfigMap.Name {
				ref.Data[k] = v
			}
		}
		if ref.Name == refSecret.Name {
			ref.Data = map[string]string{"password": refSecret.Data["password"]}
		}
		change(&ref)
		return ref
	}
	tests := []struct {
		name    string
		config  func(*testing.T) *rest.Config
		check   ObjectsCheck
		status  Status
		message string
		row     Evidence // one evidence row that must be present
	}{
		{"all as before the backup", live,
			ObjectsCheck{Present: []ObjectRef{refNamespace, refConfigMap, refSecret, refWeb, refService, refPolicy}, Absent: []ObjectRef{refAfter}},
			StatusPass, "kubectl get (LIST) and GET by name both show the 6 expected objects with their data and none of the 1 that must be gone",
			Evidence{Source: bothViews(refAfter), Field: "exists", Want: "no", Got: "no (not listed, 404 NotFound)"}},
		{"configmap data differs", live,
			ObjectsCheck{Present: []ObjectRef{with(refConfigMap, func(r *ObjectRef) { r.Data["mode"] = "staging" })}},
			StatusFail, `configmap ckat-objects/app-config differs: data.mode = "production", want "staging"`,
			Evidence{Source: bothViews(refConfigMap), Field: "data.mode", Want: `"staging"`, Got: `"production"`}},
		{"configmap has an extra key", live,
			ObjectsCheck{Present: []ObjectRef{with(refConfigMap, func(r *ObjectRef) { delete(r.Data, "replicas") })}},
			StatusFail, "configmap ckat-objects/app-config differs: extra key data.replicas",
			Evidence{Source: bothViews(refConfigMap), Field: "data.replicas", Want: "(absent)", Got: `"3"`}},
		{"secret differs, masked", live,
			ObjectsCheck{Present: []ObjectRef{with(refSecret, func(r *ObjectRef) { r.Data["password"] = "after" })}},
			StatusFail, "secret ckat-objects/db-password differs: data.password = (secret, 20 bytes, sha256 ",
			Evidence{Source: bothViews(refSecret), Field: "data.password", Want: maskSecretValue("after"), Got: maskSecretValue("s3cr3t-before-backup")}},
		{"deployment image differs", live,
			ObjectsCheck{Present: []ObjectRef{with(refWeb, func(r *ObjectRef) { r.Image = "nginx:1.28" })}},
			StatusFail, `deployment ckat-objects/web differs: image is "nginx:1.27", want "nginx:1.28"`,
			Evidence{Source: bothViews(refWeb), Field: "spec.template.spec.containers[0].image", Want: "nginx:1.28", Got: "nginx:1.27"}},
		{"deployment replicas and up to date", live,
			ObjectsCheck{Present: []ObjectRef{{Kind: "Deployment", Namespace: objectsNS, Name: "web", Replicas: replicas(1)}}},
			StatusPass, "kubectl get (LIST) and GET by name both show the 1 expected objects",
			Evidence{Source: bothViews(refWeb), Field: "status.updatedReplicas (UP-TO-DATE)", Want: "1", Got: "1"}},
		{"deployment not scaled", live,
			ObjectsCheck{Present: []ObjectRef{{Kind: "Deployment", Namespace: objectsNS, Name: "web", Replicas: replicas(4)}}},
			StatusFail, "deployment ckat-objects/web differs: spec.replicas is 1, want 4",
			Evidence{Source: bothViews(refWeb), Field: "spec.replicas (READY's total)", Want: "4", Got: "1"}},
		{"deployment scaled, its controller not running", live,
			ObjectsCheck{Present: []ObjectRef{refAPI}},
			StatusFail, "deployment ckat-objects/api differs: spec.replicas is 3 but UP-TO-DATE shows 1: the Deployment controller of kube-controller-manager has not acted on it",
			Evidence{Source: bothViews(refAPI), Field: "status.updatedReplicas (UP-TO-DATE)", Want: "3", Got: "1"}},
		{"pod on its node, apiVersion left out", live,
			ObjectsCheck{Present: []ObjectRef{refScheduled}},
			StatusPass, "kubectl get (LIST) and GET by name both show the 1 expected objects",
			Evidence{Source: bothViews(refScheduled), Field: "spec.nodeName (NODE)", Want: "controlplane", Got: "controlplane"}},
		{"pod on another node", live,
			ObjectsCheck{Present: []ObjectRef{{Kind: "Pod", Namespace: objectsNS, Name: "scheduled", NodeName: "worker"}}},
			StatusFail, "pod ckat-objects/scheduled differs: it is on node controlplane, want worker",
			Evidence{Source: bothViews(refScheduled), Field: "spec.nodeName (NODE)", Want: "worker", Got: "controlplane"}},
		{"pod not scheduled", live,
			ObjectsCheck{Present: []ObjectRef{refPending}},
			StatusFail, "pod ckat-objects/pending differs: it is not scheduled (NODE <none>), want node controlplane",
			Evidence{Source: bothViews(refPending), Field: "spec.nodeName (NODE)", Want: "controlplane", Got: "<none>"}},
		{"service port differs", live,
			ObjectsCheck{Present: []ObjectRef{{Kind: "Service", Namespace: objectsNS, Name: "web", Port: 8080}}},
			StatusFail, `service ckat-objects/web differs: no port 8080 (ports: 80)`,
			Evidence{Source: bothViews(refService), Field: "spec.ports[*].port", Want: "8080", Got: "80"}},
		{"present object missing", live,
			ObjectsCheck{Present: []ObjectRef{refNamespace, {Kind: "Secret", Namespace: objectsNS, Name: "gone"}}},
			StatusFail, "secret ckat-objects/gone is missing",
			Evidence{Source: "API server: LIST and GET secret ckat-objects/gone", Field: "exists", Want: "yes", Got: "no (not listed, 404 NotFound)"}},
		{"absent object exists", live,
			ObjectsCheck{Absent: []ObjectRef{{Kind: "Deployment", Namespace: objectsNS, Name: "web"}}},
			StatusFail, "deployment ckat-objects/web exists, but it was made after the backup and must be gone",
			Evidence{Source: bothViews(refWeb), Field: "exists", Want: "no", Got: "yes"}},
		{"a kind found by discovery, absent", live,
			ObjectsCheck{Absent: []ObjectRef{refPolicy}},
			StatusFail, "networkpolicy.networking.k8s.io ckat-objects/deny-all exists, but it was made after the backup and must be gone",
			Evidence{Source: bothViews(refPolicy), Field: "exists", Want: "no", Got: "yes"}},
		{"a kind the API server does not serve", live,
			ObjectsCheck{Present: []ObjectRef{refNamespace, {APIVersion: "internal.apiserver.k8s.io/v1alpha1", Kind: "StorageVersion", Name: "x"}}},
			StatusError, "could not look: storageversion.internal.apiserver.k8s.io x: the API server serves no StorageVersion in internal.apiserver.k8s.io/v1alpha1",
			Evidence{Source: bothViews(refNamespace), Field: "exists", Want: "yes", Got: "yes"}},
		{"a namespaced kind without a namespace", live,
			ObjectsCheck{Present: []ObjectRef{refNamespace, {APIVersion: "v1", Kind: "Pod", Name: "p"}}},
			StatusError, "could not look: pod p: a Pod is namespaced: the check must name its namespace",
			Evidence{Source: bothViews(refNamespace), Field: "exists", Want: "yes", Got: "yes"}},
		{"refused connection is not absence", func(t *testing.T) *rest.Config { return refusedConfig(t) },
			ObjectsCheck{Absent: []ObjectRef{refAfter}},
			StatusFail, "connect: connection refused), so kubectl get shows no objects",
			Evidence{Source: "API server: GET /readyz", Field: "status", Want: "ok"}},
		{"refused connection, said once", func(t *testing.T) *rest.Config { return refusedConfig(t) },
			ObjectsCheck{Present: []ObjectRef{refNamespace, refConfigMap}, Absent: []ObjectRef{refAfter}},
			StatusFail, "the API server at https://127.0.0.1:",
			Evidence{Source: "API server: GET /readyz", Field: "status", Want: "ok"}},
		{"5xx is not absence", func(t *testing.T) *rest.Config {
			return answeringConfig(t, 503, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","code":503}`)
		}, ObjectsCheck{Absent: []ObjectRef{refAfter}},
			StatusFail, "the API server answers with an error where kubectl get would show the objects: configmap ckat-objects/made-after-backup: etcdserver: leader changed",
			Evidence{Source: "API server: GET configmap ckat-objects/made-after-backup", Field: "exists", Want: "no"}},
		// etcd.yaml broken or etcd stopped: the API server answers, but
		// every GET would wait a minute for etcd.
		{"API server up, etcd unreachable", func(t *testing.T) *rest.Config {
			return answeringConfig(t, 500, "[+]ping ok\n[-]etcd failed: reason withheld\n[-]etcd-readiness failed: reason withheld\nreadyz check failed\n")
		}, ObjectsCheck{Present: []ObjectRef{refNamespace, refConfigMap}, Absent: []ObjectRef{refAfter}},
			StatusFail, "answers but cannot reach etcd (readyz failed: etcd failed: reason withheld; etcd-readiness failed: reason withheld), so it serves no objects",
			Evidence{Source: "API server: GET /readyz", Field: "status", Want: "ok", Got: "readyz failed: etcd failed: reason withheld; etcd-readiness failed: reason withheld"}},
		{"timeout, said once", func(t *testing.T) *rest.Config {
			return answeringConfig(t, 504, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server was unable to return a response in the time allotted, but may still be processing the request","reason":"Timeout","code":504}`)
		}, ObjectsCheck{Present: []ObjectRef{refNamespace, refConfigMap}, Absent: []ObjectRef{refAfter}},
			StatusFail, "the API server at https://127.0.0.1:",
			Evidence{Source: "API server: GET namespace ckat-objects", Field: "exists", Want: "yes"}},
		{"a 404 page that is not the API's NotFound", func(t *testing.T) *rest.Config {
			return answeringConfig(t, 404, "404 page not found")
		}, ObjectsCheck{Absent: []ObjectRef{refAfter}},
			StatusFail, "the API server answers with an error where kubectl get would show the objects: configmap ckat-objects/made-after-backup: ",
			Evidence{Source: "API server: GET configmap ckat-objects/made-after-backup", Field: "exists", Want: "no"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.config(t)
			r := tt.check.Run(context.Background(), Target{RESTConfig: cfg})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			found := false
			for _, e := range r.Evidence {
				source := strings.Replace(e.Source, cfg.Host, "", 1)
				if source == tt.row.Source && e.Field == tt.row.Field && e.Want == tt.row.Want && (tt.row.Got == "" || e.Got == tt.row.Got) {
					found = true
				}
				if strings.Contains(e.Got+e.Want, "s3cr3t") || strings.Contains(r.Message, "s3cr3t") {
					t.Errorf("a secret value shows in the result: %+v", e)
				}
			}
			if !found {
				t.Errorf("evidence %+v lacks %+v", r.Evidence, tt.row)
			}
			if strings.Contains(tt.name, "said once") && len(r.Evidence) != 1 {
				t.Errorf("an unreachable API server is reported with %d evidence rows in %q, want once", len(r.Evidence), r.Message)
			}
			if strings.Contains(tt.name, "refused connection, said once") && strings.Count(r.Message, "connection refused") != 1 {
				t.Errorf("the refusal is reported %d times in %q, want once", strings.Count(r.Message, "connection refused"), r.Message)
			}
		})
	}
}

// TestObjectsCheckAsksAClosingServerOnce points the check at a port that
// accepts connections and closes them at once, as a port forwarder does
// while the API server behind it is down: the check fails on the first
// connection, saying the API server does not answer, instead of
// retrying the GET as client-go would.
func TestObjectsCheckAsksAClosingServerOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	cfg := &rest.Config{Host: "https://" + ln.Addr().String(), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	r := (&ObjectsCheck{Present: []ObjectRef{refNamespace}}).Run(context.Background(), Target{RESTConfig: cfg})
	require.Equal(t, StatusFail, r.Status, r.Message)
	require.Contains(t, r.Message, "does not answer (")
	// Closing a fresh TLS connection reads as EOF, or as a reset when the
	// kernel has already answered the client's hello with RST.
	require.Regexp(t, `(EOF|connection reset by peer)\), so kubectl get shows no objects`, r.Message)
	require.Equal(t, int32(1), conns.Load(), "the API server was asked more than once")
}

// TestObjectsCheckTimeout: with a timeout the check looks again while it
// fails, so a controller that catches up in time passes, and one that
// does not is reported as the last look found it.
func TestObjectsCheckTimeout(t *testing.T) {
	srv := apiServerForTest(t)
	c := srv.client(t)
	seedObjects(t, c)
	seedControlled(t, c)
	target := Target{RESTConfig: srv.config}
	setDeploymentStatus(t, c, "api", 1)

	// The Deployment controller catches up after two seconds.
	check := ObjectsCheck{Present: []ObjectRef{{Kind: "Deployment", Namespace: objectsNS, Name: "api", Replicas: replicas(3)}}, Timeout: Duration{30 * time.Second}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(2 * time.Second)
		if err := updateDeploymentStatus(c, "api", 3); err != nil {
			t.Error(err)
		}
	}()
	began := time.Now()
	r := check.Run(context.Background(), target)
	<-done
	if r.Status != StatusPass || time.Since(began) < 2*time.Second {
		t.Errorf("a Deployment scaled 2s into the check: Run = %s %q after %s, want pass after 2s", r.Status, r.Message, time.Since(began).Round(time.Millisecond))
	}

	// Nothing schedules the pending Pod: the check gives up at its timeout.
	check = ObjectsCheck{Present: []ObjectRef{{Kind: "Pod", Namespace: objectsNS, Name: "pending", NodeName: "controlplane"}}, Timeout: Duration{3 * time.Second}}
	began = time.Now()
	r = check.Run(context.Background(), target)
	took := time.Since(began)
	if r.Status != StatusFail || !strings.Contains(r.Message, "it is not scheduled (NODE <none>)") || took < 2*time.Second || took > 15*time.Second {
		t.Errorf("a Pod nothing schedules: Run = %s %q after %s, want fail after about 3s", r.Status, r.Message, took.Round(time.Millisecond))
	}

	// No controller changes a Deployment's spec: a wrong spec.replicas is
	// reported at once.
	check = ObjectsCheck{Present: []ObjectRef{{Kind: "Deployment", Namespace: objectsNS, Name: "api", Replicas: replicas(5)}}, Timeout: Duration{time.Minute}}
	began = time.Now()
	if r := check.Run(context.Background(), target); r.Status != StatusFail || !strings.Contains(r.Message, "spec.replicas is 3, want 5") || time.Since(began) > 10*time.Second {
		t.Errorf("a Deployment not scaled: Run = %s %q after %s, want fail at once", r.Status, r.Message, time.Since(began).Round(time.Millisecond))
	}

	// A check that cannot look does not wait.
	check = ObjectsCheck{Present: []ObjectRef{{APIVersion: "example.com/v1", Kind: "Widget", Namespace: objectsNS, Name: "w"}}, Timeout: Duration{time.Minute}}
	began = time.Now()
	if r := check.Run(context.Background(), target); r.Status != StatusError || time.Since(began) > 10*time.Second {
		t.Errorf("an unknown kind: Run = %s %q after %s, want error at once", r.Status, r.Message, time.Since(began).Round(time.Millisecond))
	}
}

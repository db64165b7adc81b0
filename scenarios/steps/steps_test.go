package steps

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
)

// failingNode is a node whose commands all exit with status 3 after
// printing a message, as a node without etcdctl would.
type failingNode struct{ labs.Node }

func (failingNode) Exec(_ context.Context, cmd labs.Command) error {
	_, _ = cmd.Stderr.Write([]byte("line one\nbash: etcdctl: command not found\n"))
	return &labs.ExitError{Args: cmd.Args, Code: 3}
}

func (failingNode) Stat(context.Context, string) (fs.FileInfo, error) { return nil, fs.ErrNotExist }

func TestApplyStopsAtTheFailingStepAndSaysWhich(t *testing.T) {
	steps := []scenarios.Step{
		{Command: &scenarios.CommandStep{Script: "mkdir -p /opt/backup\necho more"}},
		{Snapshot: &scenarios.SnapshotStep{Path: "/opt/backup/x.db"}},
	}
	err := Apply(context.Background(), Env{Node: failingNode{}}, steps)
	require.EqualError(t, err, "step 1 (run mkdir -p /opt/backup): bash: exit status 3: line one | bash: etcdctl: command not found")
	var ee *labs.ExitError
	require.True(t, errors.As(err, &ee))

	err = Apply(context.Background(), Env{Node: failingNode{}}, steps[1:])
	require.EqualError(t, err, "step 1 (save an etcd snapshot to /opt/backup/x.db): etcdctl: exit status 3: line one | bash: etcdctl: command not found")
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		step scenarios.Step
		want string
	}{
		{scenarios.Step{Namespace: &scenarios.NamespaceStep{Name: "ns"}}, "create namespace ns"},
		{scenarios.Step{ConfigMap: &scenarios.ConfigMapStep{Namespace: "ns", Name: "c"}}, "create configmap ns/c"},
		{scenarios.Step{Secret: &scenarios.SecretStep{Namespace: "ns", Name: "s"}}, "create secret ns/s"},
		{scenarios.Step{Deployment: &scenarios.DeploymentStep{Namespace: "ns", Name: "d"}}, "create deployment ns/d"},
		{scenarios.Step{Service: &scenarios.ServiceStep{Namespace: "ns", Name: "web", Port: 80}}, "create service ns/web"},
		{scenarios.Step{Delete: &scenarios.DeleteStep{Kind: "ConfigMap", Namespace: "ns", Name: "c"}}, "delete configmap ns/c"},
		{scenarios.Step{Delete: &scenarios.DeleteStep{Kind: "Namespace", Name: "ns"}}, "delete namespace ns"},
		{scenarios.Step{WaitFor: &scenarios.WaitForStep{Condition: "etcdHealthy"}}, "wait for etcdHealthy"},
	} {
		require.Equal(t, tc.want, Describe(tc.step))
	}
}

func TestServiceStep(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	step := scenarios.Step{Service: &scenarios.ServiceStep{Namespace: "shop", Name: "web", Port: 8080}}
	require.NoError(t, apply(ctx, Env{}, c, step))
	svc, err := c.CoreV1().Services("shop").Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"app": "web"}, svc.Spec.Selector)
	require.Len(t, svc.Spec.Ports, 1)
	require.Equal(t, int32(8080), svc.Spec.Ports[0].Port)
	require.Equal(t, int32(8080), svc.Spec.Ports[0].TargetPort.IntVal)

	// Applied again (a reset lab), it updates the Service in place.
	svc.Spec.ClusterIP = "10.96.0.20"
	_, err = c.CoreV1().Services("shop").Update(ctx, svc, metav1.UpdateOptions{})
	require.NoError(t, err)
	step.Service.Port = 80
	require.NoError(t, apply(ctx, Env{}, c, step))
	svc, err = c.CoreV1().Services("shop").Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, int32(80), svc.Spec.Ports[0].Port)
	require.Equal(t, "10.96.0.20", svc.Spec.ClusterIP)

	del := scenarios.Step{Delete: &scenarios.DeleteStep{Kind: "Service", Namespace: "shop", Name: "web"}}
	require.NoError(t, apply(ctx, Env{}, c, del))
	_, err = c.CoreV1().Services("shop").Get(ctx, "web", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the Service is still there: %v", err)
	require.NoError(t, apply(ctx, Env{}, c, del), "deleting a Service already gone")
}

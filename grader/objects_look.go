package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// kubectlChunkSize is the page size `kubectl get` lists with: its
// --chunk-size defaults to cmdutil.DefaultChunkSize, 500
// (k8s.io/kubectl v0.37 pkg/cmd/get/get.go, pkg/cmd/util/helpers.go).
const kubectlChunkSize = 500

// looker reads objects of any kind through the dynamic client. Known kinds
// are mapped to their resource without a request; other kinds through
// discovery, fetched once. It keeps every LIST it made, so that a kind is
// listed once per namespace, not once per object.
type looker struct {
	dyn        dynamic.Interface
	static     meta.RESTMapper
	discovered meta.RESTMapper
	lists      map[listKey]listed
}

type listKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

// listed is one LIST's answer: the objects by name, or why there is none.
type listed struct {
	items map[string]*unstructured.Unstructured
	err   error
}

func newLooker(cfg *rest.Config) (*looker, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client for %s: %w", cfg.Host, err)
	}
	return &looker{
		dyn:        dyn,
		static:     staticRESTMapper(),
		discovered: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
		lists:      map[listKey]listed{},
	}, nil
}

// mapping finds the resource that serves ref's kind. A kind the API server
// does not serve is a problem with the check (errNotServed); any other
// error means discovery did not answer.
func (l *looker) mapping(ref ObjectRef) (*meta.RESTMapping, error) {
	gvk, err := ref.GVK()
	if err != nil {
		return nil, &notServedError{err}
	}
	m, err := l.static.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		m, err = l.discovered.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return nil, &notServedError{fmt.Errorf("the API server serves no %s in %s", gvk.Kind, gvk.GroupVersion())}
	}
	if err != nil {
		return nil, err
	}
	switch namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace; {
	case namespaced && ref.Namespace == "":
		return nil, &notServedError{fmt.Errorf("a %s is namespaced: the check must name its namespace", ref.Kind)}
	case !namespaced && ref.Namespace != "":
		return nil, &notServedError{fmt.Errorf("a %s is cluster-scoped: the check must not name a namespace", ref.Kind)}
	}
	return m, nil
}

// notServedError is a reference the API server cannot answer for as
// written: a kind it does not serve, or the wrong scope.
type notServedError struct{ err error }

func (e *notServedError) Error() string { return e.err.Error() }

func (l *looker) resource(m *meta.RESTMapping, namespace string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return l.dyn.Resource(m.Resource).Namespace(namespace)
	}
	return l.dyn.Resource(m.Resource)
}

// get GETs ref by name, as `kubectl get KIND NAME` does; the API server
// reads etcd for a GET without resourceVersion. It returns nil, nil for a
// real 404.
func (l *looker) get(ctx context.Context, m *meta.RESTMapping, ref ObjectRef) (*etcddata.Object, error) {
	u, err := l.resource(m, ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if isNotFound(err, ref) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return observed(m, u)
}

// list finds ref in a LIST of its kind in its namespace, paged as
// `kubectl get` pages, without resourceVersion: the API server answers
// from its watch cache. It returns nil, nil when ref is not listed.
func (l *looker) list(ctx context.Context, m *meta.RESTMapping, ref ObjectRef) (*etcddata.Object, error) {
	key := listKey{m.Resource, ref.Namespace}
	got, ok := l.lists[key]
	if !ok {
		got = l.listAll(ctx, m, ref.Namespace)
		l.lists[key] = got
	}
	if got.err != nil {
		return nil, got.err
	}
	u, ok := got.items[ref.Name]
	if !ok {
		return nil, nil
	}
	return observed(m, u)
}

func (l *looker) listAll(ctx context.Context, m *meta.RESTMapping, namespace string) listed {
	items := map[string]*unstructured.Unstructured{}
	opts := metav1.ListOptions{Limit: kubectlChunkSize}
	for {
		page, err := l.resource(m, namespace).List(ctx, opts)
		if err != nil {
			return listed{err: err}
		}
		for i := range page.Items {
			items[page.Items[i].GetName()] = &page.Items[i]
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return listed{items: items}
		}
	}
}

// observed reads what is compared from an object the API server sent.
func observed(m *meta.RESTMapping, u *unstructured.Unstructured) (*etcddata.Object, error) {
	u.SetGroupVersionKind(m.GroupVersionKind)
	return etcddata.FromUnstructured(u)
}

// listSource names the LIST that shows ref: "LIST configmaps in shop".
func listSource(m *meta.RESTMapping, ref ObjectRef) string {
	res := m.Resource.Resource
	if m.Resource.Group != "" {
		res += "." + m.Resource.Group
	}
	if ref.Namespace == "" {
		return "LIST " + res
	}
	return "LIST " + res + " in " + ref.Namespace
}

// isNotFound reports a real 404 for ref: the API server's own NotFound
// status naming the object ("configmaps \"x\" not found"), not a 404 from a
// path the server does not serve or from something else on the port.
func isNotFound(err error, ref ObjectRef) bool {
	var status apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &status) {
		return false
	}
	return strings.HasSuffix(status.Status().Message, fmt.Sprintf("%q not found", ref.Name))
}

// clientConfig copies cfg with the rate limits the grader uses; a missing
// config is an error.
func clientConfig(cfg *rest.Config) (*rest.Config, error) {
	if cfg == nil {
		return nil, errors.New("no REST config for the lab's API server")
	}
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	return c, nil
}

// clientset builds a client for cfg; a missing config is an error.
func clientset(cfg *rest.Config) (kubernetes.Interface, error) {
	c, err := clientConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return client, nil
}

package grader

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/kubeadm"
)

// etcdDefaultListenClientURLs is etcd's --listen-client-urls when neither
// the flag nor ETCD_LISTEN_CLIENT_URLS sets it (server/embed/config.go,
// DefaultListenClientURLs).
const etcdDefaultListenClientURLs = "http://localhost:2379"

// Run judges kube-apiserver's --etcd-servers by effect: every URL in the
// list must reach a listener etcd serves clients at, as etcd's manifest
// sets them. Which of the right spellings the learner chose does not
// matter; whether the API server then answers is api-server-ready's job.
func (c *EtcdServersCheck) Run(ctx context.Context, t Target) Result {
	apiManifest, etcdManifest := c.Manifest, c.EtcdManifest
	if apiManifest == "" {
		apiManifest = kubeadm.APIServerManifest
	}
	if etcdManifest == "" {
		etcdManifest = kubeadm.EtcdManifest
	}
	apiFile, api, err := findStaticPod(ctx, t.Node, apiManifest)
	if err != nil {
		return manifestReadResult(apiManifest, "kube-apiserver's manifest", err)
	}
	if others := otherManifests(ctx, t, apiFile, api.Pod); len(others) > 0 {
		return duplicateManifestResult(apiFile, api.Pod, others)
	}
	apiManifest = apiFile
	etcdFile, etcd, err := findStaticPod(ctx, t.Node, etcdManifest)
	if err != nil {
		return manifestReadResult(etcdManifest, "etcd's manifest", err)
	}
	etcdManifest = etcdFile
	ec := etcdContainer(etcd.Pod)
	listeners := etcdURLs(ec, "--listen-client-urls", "ETCD_LISTEN_CLIENT_URLS", etcdDefaultListenClientURLs)
	peers := etcdURLs(ec, "--listen-peer-urls", "ETCD_LISTEN_PEER_URLS", "")
	// The node's own addresses, as far as etcd's manifest names them.
	own := append(etcdURLs(ec, "--advertise-client-urls", "ETCD_ADVERTISE_CLIENT_URLS", ""), listeners...)

	ac := apiServerContainer(api.Pod)
	field := fmt.Sprintf("spec.containers[%s] --etcd-servers", ac.Name)
	ev := []Evidence{{Source: apiManifest, Field: field,
		Want: fmt.Sprintf("URLs etcd serves clients at (%s --listen-client-urls): any of %s", etcdManifest, strings.Join(clientURLChoices(listeners, own), ", "))}}
	values := FlagValues(*ac, "--etcd-servers")
	if len(values) == 0 {
		ev[0].Got = "(not set)"
		return Result{Status: StatusFail, Evidence: ev,
			Message: fmt.Sprintf("%s does not set --etcd-servers in container %s, so kube-apiserver does not start", apiManifest, ac.Name)}
	}
	// The last occurrence wins, as with every flag parser the control
	// plane's components use.
	got := values[len(values)-1]
	ev[0].Got = got
	if len(values) > 1 {
		ev[0].Got = fmt.Sprintf("%s (set %d times: %s; the last wins)", got, len(values), strings.Join(values, ", "))
	}
	// kube-apiserver reads the flag as a string slice: comma-separated.
	var wrong []string
	for _, u := range strings.Split(got, ",") {
		if why := reachesListener(u, listeners, peers, own); why != "" {
			wrong = append(wrong, why)
		}
	}
	if len(wrong) > 0 {
		return Result{Status: StatusFail, Evidence: ev,
			Message: fmt.Sprintf("--etcd-servers %q does not reach etcd's client port: %s", got, strings.Join(wrong, "; "))}
	}
	return Result{Status: StatusPass, Evidence: ev,
		Message: fmt.Sprintf("--etcd-servers %q reaches etcd where it serves clients (--listen-client-urls %s)", got, strings.Join(listeners, ","))}
}

// apiServerContainer is the container named kube-apiserver, else the first.
func apiServerContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == kubeadm.KubeAPIServer {
			return &pod.Spec.Containers[i]
		}
	}
	return &pod.Spec.Containers[0]
}

// etcdURLs is the comma-separated URL list etcd takes from flag, else from
// its environment variable env, else def ("" for none).
func etcdURLs(c *corev1.Container, flag, env, def string) []string {
	v := def
	for _, e := range c.Env {
		if e.Name == env {
			v = e.Value
		}
	}
	if vs := FlagValues(*c, flag); len(vs) > 0 {
		v = vs[len(vs)-1]
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// reachesListener says why the client URL u reaches none of etcd's
// listeners; "" when it reaches one. A URL reaches a listener when its
// scheme is the listener's (etcd serves TLS on an https listener and
// plain HTTP on an http one) and its host and port are the listener's:
// localhost and 127.0.0.1 are one address, and a listener on 0.0.0.0 or
// [::] serves every address of the node, of which the grader knows the
// loopback and the hosts of the URLs in own (etcd's advertised and
// listened client URLs).
func reachesListener(u string, listeners, peers, own []string) string {
	cu, err := url.Parse(strings.TrimSpace(u))
	if err != nil || cu.Host == "" {
		return fmt.Sprintf("%q is not a URL (want scheme://host:port)", u)
	}
	host, port := cu.Hostname(), cu.Port()
	if port == "" {
		return fmt.Sprintf("%s names no port; etcd's client port is %s", u, listenerPorts(listeners))
	}
	otherScheme := false
	for _, l := range listeners {
		lu, err := url.Parse(l)
		if err != nil || lu.Port() != port || !sameHost(host, lu.Hostname(), own) {
			continue
		}
		if lu.Scheme == cu.Scheme {
			return ""
		}
		otherScheme = true
		if lu.Scheme == "https" {
			return fmt.Sprintf("%s is plain %s, but etcd serves clients at %s over TLS (https)", u, cu.Scheme, lu.Host)
		}
	}
	if otherScheme {
		return fmt.Sprintf("%s uses %s, but etcd's listener at %s:%s is not", u, cu.Scheme, host, port)
	}
	for _, p := range peers {
		if pu, err := url.Parse(p); err == nil && pu.Port() == port {
			return fmt.Sprintf("%s is etcd's peer port %s (--listen-peer-urls), for other etcd members; clients use %s", u, port, listenerPorts(listeners))
		}
	}
	return fmt.Sprintf("etcd serves no clients at %s:%s (its --listen-client-urls are %s)", host, port, strings.Join(listeners, ","))
}

// sameHost reports whether a client dialling host reaches a listener on
// lhost; own are URLs naming the node's addresses.
func sameHost(host, lhost string, own []string) bool {
	norm := func(h string) string {
		if h == "localhost" {
			return kubeadm.LoopbackAddress
		}
		return h
	}
	host, lhost = norm(host), norm(lhost)
	if host == lhost {
		return true
	}
	if ip := net.ParseIP(lhost); ip == nil || !ip.IsUnspecified() {
		return false
	}
	// A wildcard listener: the loopback, or an address another listener
	// names (the node's own).
	if net.ParseIP(host).IsLoopback() {
		return true
	}
	for _, l := range own {
		if lu, err := url.Parse(l); err == nil && norm(lu.Hostname()) == host {
			return true
		}
	}
	return false
}

// listenerPorts lists the ports of etcd's client listeners.
func listenerPorts(listeners []string) string {
	seen := map[string]bool{}
	var ports []string
	for _, l := range listeners {
		if lu, err := url.Parse(l); err == nil && lu.Port() != "" && !seen[lu.Port()] {
			seen[lu.Port()] = true
			ports = append(ports, lu.Port())
		}
	}
	return strings.Join(ports, " or ")
}

// clientURLChoices spells the client URLs that reach the listeners: each
// listener's own, scheme://localhost:PORT beside a 127.0.0.1 one, and for
// a wildcard listener the loopback and the node's addresses in own.
func clientURLChoices(listeners, own []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, l := range listeners {
		lu, err := url.Parse(l)
		if err != nil {
			continue
		}
		hosts := []string{lu.Hostname()}
		if ip := net.ParseIP(lu.Hostname()); ip != nil && ip.IsUnspecified() {
			hosts = []string{kubeadm.LoopbackAddress}
			for _, o := range own {
				if ou, err := url.Parse(o); err == nil && !net.ParseIP(ou.Hostname()).IsUnspecified() {
					hosts = append(hosts, ou.Hostname())
				}
			}
		}
		for _, h := range hosts {
			add(lu.Scheme + "://" + net.JoinHostPort(h, lu.Port()))
			if h == kubeadm.LoopbackAddress {
				add(lu.Scheme + "://localhost:" + lu.Port())
			}
		}
	}
	return out
}

// etcdNeverReached says why kube-apiserver, as its manifest runs it, can
// reach no etcd at all: each URL of its --etcd-servers names a port at
// which etcd's manifest serves no clients, or the wrong scheme for the
// listener there (plain http against etcd's TLS). The host is not judged,
// since a name the grader cannot resolve may still reach etcd. It returns
// "" when a URL may reach etcd, or there is no node or manifest to read:
// the API server may then still become ready.
func etcdNeverReached(ctx context.Context, t Target, apiManifest string) (string, *Evidence) {
	if t.Node == nil {
		return "", nil
	}
	apiFile, api, err := findStaticPod(ctx, t.Node, apiManifest)
	if err != nil {
		return "", nil
	}
	etcdFile, etcd, err := findStaticPod(ctx, t.Node, kubeadm.EtcdManifest)
	if err != nil {
		return "", nil
	}
	ec := etcdContainer(etcd.Pod)
	listeners := etcdURLs(ec, "--listen-client-urls", "ETCD_LISTEN_CLIENT_URLS", etcdDefaultListenClientURLs)
	peers := etcdURLs(ec, "--listen-peer-urls", "ETCD_LISTEN_PEER_URLS", "")
	values := FlagValues(*apiServerContainer(api.Pod), "--etcd-servers")
	if len(values) == 0 {
		return "", nil
	}
	got := values[len(values)-1]
	var why []string
	for _, u := range strings.Split(got, ",") {
		cu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || cu.Port() == "" {
			return "", nil
		}
		for _, l := range listeners {
			if lu, err := url.Parse(l); err == nil && lu.Port() == cu.Port() && lu.Scheme == cu.Scheme {
				return "", nil
			}
		}
		why = append(why, reachesListener(u, listeners, peers, nil))
	}
	return fmt.Sprintf("its --etcd-servers %q reaches no port where etcd serves clients: %s", got, strings.Join(why, "; ")),
		&Evidence{Source: apiFile, Field: "--etcd-servers", Want: fmt.Sprintf("a URL etcd serves clients at (%s --listen-client-urls %s)", etcdFile, strings.Join(listeners, ",")), Got: got}
}

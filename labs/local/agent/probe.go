package agent

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// readinessProbe is the probe that decides readiness: the container's
// readinessProbe, else its startupProbe, else its livenessProbe. Exec
// probes are not run; a container without an HTTP or TCP probe is ready
// while its process runs.
func readinessProbe(c *corev1.Container) *corev1.Probe {
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.StartupProbe, c.LivenessProbe} {
		if p != nil && (p.HTTPGet != nil || p.TCPSocket != nil) {
			return p
		}
	}
	return nil
}

// probe keeps container i's readiness up to date while it runs: every
// second until it is ready, then at the probe's period (at most 5 s); it
// turns unready after the probe's failure threshold.
func (w *podWorker) probe(ctx context.Context, i int, c *corev1.Container, pid int) {
	setReady := func(ready bool) {
		w.update(i, func(s *containerState) {
			if s.Running && s.PID == pid {
				switch {
				case ready && !s.Ready:
					s.ReadySince = time.Now()
				case !ready:
					s.ReadySince = time.Time{}
				}
				s.Ready = ready
			}
		})
	}
	p := readinessProbe(c)
	if p == nil {
		setReady(true)
		return
	}
	period := time.Duration(p.PeriodSeconds) * time.Second
	if period <= 0 || period > 5*time.Second {
		period = 5 * time.Second
	}
	threshold := int(p.FailureThreshold)
	if threshold <= 0 {
		threshold = 3
	}
	ready, failures := false, 0
	for ctx.Err() == nil {
		ok := w.probeOnce(ctx, c, p)
		switch {
		case ok:
			failures = 0
			if !ready {
				ready = true
				setReady(true)
			}
		case ready:
			failures++
			if failures >= threshold {
				ready = false
				setReady(false)
			}
		}
		if ready {
			sleep(ctx, period)
		} else {
			sleep(ctx, time.Second)
		}
	}
}

// probeOnce runs one HTTP or TCP probe: an HTTP status from 200 to 399
// succeeds; HTTPS is not verified, as the kubelet's probes are not.
func (w *podWorker) probeOnce(ctx context.Context, c *corev1.Container, p *corev1.Probe) bool {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if p.TCPSocket != nil {
		host := hostOr(p.TCPSocket.Host, w.a.cfg.NodeIP)
		port, ok := resolvePort(p.TCPSocket.Port, c)
		if !ok {
			return false
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		conn.Close()
		return true
	}
	g := p.HTTPGet
	port, ok := resolvePort(g.Port, c)
	if !ok {
		return false
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(hostOr(g.Host, w.a.cfg.NodeIP), strconv.Itoa(port)), Path: g.Path}
	if strings.Contains(g.Path, "?") {
		u.Path, u.RawQuery, _ = strings.Cut(g.Path, "?")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	for _, h := range g.HTTPHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

var probeClient = &http.Client{
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the kubelet's probes do not verify
		DisableKeepAlives: true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func hostOr(host, def string) string {
	if host != "" {
		return host
	}
	if def != "" {
		return def
	}
	return "127.0.0.1"
}

// resolvePort turns a probe's port, a number or a container port's name,
// into a number.
func resolvePort(p intstr.IntOrString, c *corev1.Container) (int, bool) {
	if p.Type == intstr.Int {
		return p.IntValue(), p.IntValue() > 0
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, n > 0
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), true
		}
	}
	return 0, false
}

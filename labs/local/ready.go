package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/agent"
	"github.com/ckat/ckat/labs/local/kubeadm"
	"github.com/ckat/ckat/labs/local/node"
)

// waitReady polls the API server's /readyz through the forwarded port
// until it answers "ok", the node exits, or wait runs out.
func waitReady(ctx context.Context, kubeconfig []byte, st state, wait time.Duration) error {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the node's admin.conf: %w", err)
	}
	err = readyz.Wait(ctx, cfg, readyz.Options{Timeout: wait,
		NotReady: func(_ context.Context, last error) error {
			if !st.running() {
				return fmt.Errorf("the node exited while the API server was starting (last /readyz answer: %v)", last)
			}
			return nil
		}})
	var notReady *readyz.NotReadyError
	if errors.As(err, &notReady) {
		return fmt.Errorf("%w; the pods' logs above may say why", err)
	}
	return err
}

// mirrorPollInterval is the pause between two looks for the mirror pods.
const mirrorPollInterval = 100 * time.Millisecond

// waitMirrorPods waits until every static pod the node agent runs has its
// mirror pod in the API server, as `kubectl get pods -n kube-system` lists
// them, or until deadline. The static pods are those of the agent's status
// file; with the API server ready, the agent has read the manifests.
func waitMirrorPods(ctx context.Context, n labs.Node, cfg *rest.Config, deadline time.Time) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client for the mirror pods: %w", err)
	}
	var missing []string
	for {
		missing, err = missingMirrorPods(ctx, n, client)
		if err == nil && len(missing) == 0 {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(mirrorPollInterval):
		}
	}
	if err != nil {
		return fmt.Errorf("waiting for the static pods' mirror pods: %w", err)
	}
	return fmt.Errorf("the mirror pods of %s are not in the API server", strings.Join(missing, ", "))
}

// missingMirrorPods lists the static pods (namespace/name) whose mirror
// pod the API server does not list yet.
func missingMirrorPods(ctx context.Context, n labs.Node, client kubernetes.Interface) ([]string, error) {
	data, err := n.ReadFile(ctx, node.PodStatusFile)
	if err != nil {
		return nil, err
	}
	pods, err := agent.ParseStatus(data)
	if err != nil {
		return nil, err
	}
	list, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + NodeName})
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, p := range list.Items {
		listed[p.Namespace+"/"+p.Name] = true
	}
	var missing []string
	for _, p := range pods {
		if key := p.Namespace + "/" + p.Name; !listed[key] {
			missing = append(missing, key)
		}
	}
	return missing, nil
}

// superAdminConfig is the client config of the node's super-admin.conf
// (group system:masters) through the host's forwarded port.
func superAdminConfig(root, server string) (*rest.Config, error) {
	data, err := kubeadm.SuperAdminKubeconfig(root, server)
	if err != nil {
		return nil, fmt.Errorf("reading the node's super-admin.conf: %w", err)
	}
	return clientcmd.RESTConfigFromKubeConfig(data)
}

// podStatus is the part of the agent's status file a failure report shows.
type podStatus struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
}

// printDiagnostics prints what a learner needs when the API server does
// not come up: the static pods' status and the last lines of their logs,
// or the node's log when the node is gone.
func (p *Provider) printDiagnostics(ctx context.Context, st state, nodeLog string) {
	if !st.running() {
		printTail(p.logger, "the node's log ("+nodeLog+")", nodeLog, 15)
		return
	}
	n := node.New(NodeName, st.PID)
	if data, err := n.ReadFile(ctx, node.PodStatusFile); err == nil {
		var pods []podStatus
		if json.Unmarshal(data, &pods) == nil {
			for _, pod := range pods {
				line := fmt.Sprintf("pod %s: %s, ready=%t, restarts=%d", pod.Name, pod.Phase, pod.Ready, pod.Restarts)
				if pod.Reason != "" || pod.Message != "" {
					line += ": " + strings.TrimSpace(pod.Reason+" "+pod.Message)
				}
				p.logger.Warnf("%s", line)
			}
		}
	}
	podDirs, err := n.ReadDir(ctx, crilog.PodLogsDir)
	if err != nil {
		printTail(p.logger, "the node's log ("+nodeLog+")", nodeLog, 15)
		return
	}
	for _, pd := range podDirs {
		podDir := path.Join(crilog.PodLogsDir, pd.Name())
		containers, err := n.ReadDir(ctx, podDir)
		if err != nil {
			continue
		}
		for _, c := range containers {
			runs, err := crilog.Runs(ctx, n, path.Join(podDir, c.Name()))
			if err != nil || len(runs) == 0 {
				continue
			}
			logFile := crilog.ContainerLogPath(podDir, c.Name(), runs[len(runs)-1])
			data, err := n.ReadFile(ctx, logFile)
			if err != nil {
				continue
			}
			var msgs strings.Builder
			switch {
			case crilog.Copy(bytes.NewReader(data), &msgs, 10) != nil:
			case strings.TrimSpace(msgs.String()) == "":
				p.logger.Warnf("%s on the node is empty: the container has written nothing yet", logFile)
			default:
				printLines(p.logger, "the last lines of "+logFile+" on the node", msgs.String(), 10)
			}
		}
	}
}

// printTail prints the last lines of a host file, if it has any.
func printTail(logger *log.Logger, what, file string, lines int) {
	data, err := os.ReadFile(file)
	if err != nil {
		return
	}
	printLines(logger, what, string(data), lines)
}

func printLines(logger *log.Logger, what, text string, lines int) {
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(all) == 0 || (len(all) == 1 && all[0] == "") {
		return
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	logger.Warnf("%s:", what)
	for _, l := range all {
		logger.V(0).Infof("    %s", l)
	}
}

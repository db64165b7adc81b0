package session

import (
	"fmt"
	"strings"

	"github.com/ckat/ckat/internal/kubeadm"
)

// The baseline keeps the kubelet's files as setup left them
// (kubeadm.KubeletFiles, under BaselineDir/kubelet), because a scenario may
// break the kubelet and a learner may fix, stop or restart it. A reset puts
// them back and, when one differs or the kubelet is not running,
// restarts the kubelet so that it runs as it did after setup: as on a
// kubeadm node, the kubelet reads them only when it starts, and reads its
// unit files only after `systemctl daemon-reload`.
const baselineKubeletDir = BaselineDir + "/kubelet"

// saveKubeletFiles adds to script the copy of the kubelet's files into
// the baseline; a file the node lacks is recorded as missing.
func saveKubeletFiles(script *strings.Builder) {
	for _, f := range kubeadm.KubeletFiles {
		saved := shellQuote(baselineKubeletDir + f)
		fmt.Fprintf(script, "mkdir -p \"$(dirname %s)\"\n", saved)
		fmt.Fprintf(script, "if [ -e %s ]; then cp -a --reflink=auto %s %s; else touch %s.missing; fi\n",
			shellQuote(f), shellQuote(f), saved, saved)
	}
}

// restoreKubeletFiles adds to script what puts the kubelet back as the
// baseline has it: each file that differs is copied back (or removed, if
// it was missing), and the kubelet is restarted if one did or it is not
// active. A baseline without the kubelet's files (a lab made by an earlier
// version) leaves the kubelet alone.
func restoreKubeletFiles(script *strings.Builder) {
	fmt.Fprintf(script, "if [ -d %s ]; then\nrestart=\n", baselineKubeletDir)
	for _, f := range kubeadm.KubeletFiles {
		saved, live := shellQuote(baselineKubeletDir+f), shellQuote(f)
		fmt.Fprintf(script, "if [ -e %s.missing ]; then\n  [ ! -e %s ] || { rm -f %s; restart=1; }\n", saved, live, live)
		fmt.Fprintf(script, "elif [ -e %s ] && ! cmp -s %s %s; then\n  mkdir -p \"$(dirname %s)\"; cp -a --reflink=auto %s %s; restart=1\nfi\n",
			saved, saved, live, live, saved, live)
	}
	script.WriteString("systemctl is-active --quiet kubelet || restart=1\n")
	script.WriteString("if [ -n \"$restart\" ]; then systemctl daemon-reload; systemctl restart kubelet; fi\nfi\n")
}

// checkKubeletFiles adds to script what exits non-zero unless the kubelet
// runs from its files as the baseline has them (and the baseline has
// them): what restoreKubeletFiles would leave alone.
func checkKubeletFiles(script *strings.Builder) {
	fmt.Fprintf(script, "[ -d %s ] || exit 1\n", baselineKubeletDir)
	for _, f := range kubeadm.KubeletFiles {
		saved, live := shellQuote(baselineKubeletDir+f), shellQuote(f)
		fmt.Fprintf(script, "if [ -e %s.missing ]; then [ ! -e %s ] || exit 1; else cmp -s %s %s || exit 1; fi\n", saved, live, saved, live)
	}
	script.WriteString("systemctl is-active --quiet kubelet || exit 1\n")
}

package systemd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ckat/ckat/internal/kubeadm"
)

// Exit statuses of systemctl (LSB, as systemctl uses them).
const (
	exitOK           = 0
	exitFailure      = 1
	exitNotRunning   = 3 // status, is-active: the unit is not active
	exitNoSuchUnit   = 4 // status: no such unit
	exitNotInstalled = 5 // start, stop, restart: no such unit
)

// supported is what the refusal of other verbs names.
const supported = "status, start, stop, restart, is-active, is-enabled, enable, daemon-reload and cat"

// Systemctl is `systemctl ARGS` on the node; it returns the exit status.
func Systemctl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("systemctl", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	quiet := fs.BoolP("quiet", "q", false, "")
	now := fs.Bool("now", false, "")
	lines := fs.IntP("lines", "n", 10, "")
	for _, name := range []string{"no-pager", "full", "all", "no-legend", "no-ask-password"} {
		fs.Bool(name, false, "")
	}
	fs.BoolP("l", "l", false, "")
	fs.BoolP("a", "a", false, "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "systemctl: %v\n", err)
		return exitFailure
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintf(stderr, "systemctl: listing units is not supported on this node; it supports %s for %s\n", supported, kubeadm.KubeletServiceUnit)
		return exitFailure
	}
	verb, units := rest[0], rest[1:]
	for i, u := range units {
		units[i] = unitName(u)
	}
	switch verb {
	case "daemon-reload":
		if _, err := call("daemon-reload"); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
		return exitOK
	case "status", "start", "stop", "restart", "is-active", "is-enabled", "enable", "cat":
	default:
		fmt.Fprintf(stderr, "systemctl %s is not supported on this node; it supports %s for %s\n", verb, supported, kubeadm.KubeletServiceUnit)
		return exitFailure
	}
	if len(units) == 0 {
		if verb == "status" {
			fmt.Fprintf(stderr, "systemctl: the system's status is not supported on this node; name a unit: systemctl status %s\n", strings.TrimSuffix(kubeadm.KubeletServiceUnit, ".service"))
		} else {
			fmt.Fprintln(stderr, "Too few arguments.")
		}
		return exitFailure
	}
	code := exitOK
	for _, u := range units {
		if c := unitVerb(verb, u, *quiet, *now, *lines, stdout, stderr); c != exitOK && code == exitOK {
			code = c
		}
	}
	return code
}

// unitName adds ".service" to a name without a unit type.
func unitName(name string) string {
	if !strings.Contains(name, ".") {
		return name + ".service"
	}
	return name
}

// unitVerb runs one verb for one unit.
func unitVerb(verb, unit string, quiet, now bool, lines int, stdout, stderr io.Writer) int {
	if unit != kubeadm.KubeletServiceUnit {
		return unknownUnit(verb, unit, quiet, stdout, stderr)
	}
	switch verb {
	case "is-enabled":
		if !quiet {
			fmt.Fprintln(stdout, "enabled")
		}
		return exitOK
	case "cat":
		return catUnit(stdout, stderr)
	case "enable":
		if !now {
			return exitOK
		}
		verb = "start"
	}
	if verb == "status" || verb == "is-active" {
		st, err := call("status")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
		if verb == "is-active" {
			if !quiet {
				fmt.Fprintln(stdout, st.ActiveState)
			}
		} else {
			if st.NeedReload {
				fmt.Fprintln(stderr, reloadWarning(unit))
			}
			printStatus(stdout, *st, lines)
		}
		if st.ActiveState != "active" {
			return exitNotRunning
		}
		return exitOK
	}
	if st, err := call("status"); err == nil && st.NeedReload && verb != "stop" {
		fmt.Fprintln(stderr, reloadWarning(unit))
	}
	if _, err := call(verb); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	return exitOK
}

// reloadWarning is what systemctl says when the unit files changed since
// they were loaded.
func reloadWarning(unit string) string {
	return fmt.Sprintf("Warning: The unit file, source configuration file or drop-ins of %s changed on disk. Run 'systemctl daemon-reload' to reload units.", unit)
}

// unknownUnit is systemd's answer for a unit that does not exist.
func unknownUnit(verb, unit string, quiet bool, stdout, stderr io.Writer) int {
	switch verb {
	case "status":
		fmt.Fprintf(stderr, "Unit %s could not be found.\n", unit)
		return exitNoSuchUnit
	case "is-active":
		if !quiet {
			fmt.Fprintln(stdout, "inactive")
		}
		return exitNotRunning
	case "is-enabled":
		fmt.Fprintf(stderr, "Failed to get unit file state for %s: No such file or directory\n", unit)
		return exitFailure
	case "enable":
		fmt.Fprintf(stderr, "Failed to enable unit: Unit file %s does not exist.\n", unit)
		return exitFailure
	case "cat":
		fmt.Fprintf(stderr, "No files found for %s.\n", unit)
		return exitFailure
	case "stop":
		fmt.Fprintf(stderr, "Failed to stop %s: Unit %s not loaded.\n", unit, unit)
		return exitNotInstalled
	default:
		fmt.Fprintf(stderr, "Failed to %s %s: Unit %s not found.\n", verb, unit, unit)
		return exitNotInstalled
	}
}

// catUnit prints the unit file and its drop-ins as `systemctl cat` does.
func catUnit(stdout, stderr io.Writer) int {
	u, err := LoadUnit()
	if err != nil {
		fmt.Fprintf(stderr, "No files found for %s.\n", kubeadm.KubeletServiceUnit)
		return exitFailure
	}
	for i, p := range append([]string{u.FragmentPath}, u.DropIns...) {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "# %s\n%s", p, data)
	}
	return exitOK
}

// printStatus prints `systemctl status` of the unit, then its last lines
// of journal.
func printStatus(w io.Writer, st Status, lines int) {
	bullet := map[string]string{"active": "●", "activating": "●", "deactivating": "●", "failed": "×"}[st.ActiveState]
	if bullet == "" {
		bullet = "○"
	}
	fmt.Fprintf(w, "%s %s - %s\n", bullet, st.Unit, st.Description)
	fmt.Fprintf(w, "     Loaded: loaded (%s; enabled; preset: enabled)\n", st.FragmentPath)
	if len(st.DropIns) > 0 {
		names := make([]string, len(st.DropIns))
		for i, d := range st.DropIns {
			names[i] = filepath.Base(d)
		}
		fmt.Fprintf(w, "    Drop-In: %s\n             └─%s\n", filepath.Dir(st.DropIns[0]), strings.Join(names, ", "))
	}
	state := fmt.Sprintf("%s (%s)", st.ActiveState, st.SubState)
	if st.Result != "" && st.Result != "success" && st.ActiveState != "active" {
		state += fmt.Sprintf(" (Result: %s)", st.Result)
	}
	now := nowFunc()
	fmt.Fprintf(w, "     Active: %s since %s; %s\n", state, formatTimestamp(st.Since), formatAgo(st.Since, now))
	if st.ActiveState == "inactive" && !st.ActiveEnter.IsZero() && st.Since.After(st.ActiveEnter) {
		fmt.Fprintf(w, "   Duration: %s\n", formatSpan(st.Since.Sub(st.ActiveEnter), time.Millisecond))
	}
	if st.Documentation != "" {
		fmt.Fprintf(w, "       Docs: %s\n", st.Documentation)
	}
	if st.MainPID != 0 {
		p := readProc(st.MainPID)
		fmt.Fprintf(w, "   Main PID: %d (%s)\n", st.MainPID, p.comm)
		fmt.Fprintf(w, "      Tasks: %d (limit: %d)\n", p.threads, tasksMax())
		fmt.Fprintf(w, "     Memory: %s (peak: %s)\n", formatBytes(p.rss), formatBytes(p.peak))
		fmt.Fprintf(w, "        CPU: %s\n", formatSpan(p.cpu, time.Millisecond))
		fmt.Fprintf(w, "     CGroup: /system.slice/%s\n             └─%d %s\n", st.Unit, st.MainPID, p.cmdline)
	} else if st.LastCode != "" {
		how := fmt.Sprintf("code=%s, status=%s", st.LastCode, st.LastStatus)
		if st.LastCode == "killed" {
			how = fmt.Sprintf("code=%s, signal=%s", st.LastCode, st.LastStatus)
		}
		pid := ""
		if st.LastPID != 0 {
			pid = fmt.Sprintf("%d ", st.LastPID)
		}
		fmt.Fprintf(w, "    Process: %sExecStart=%s (%s)\n", pid, st.ExecStart, how)
		fmt.Fprintf(w, "   Main PID: %s(%s)\n", pid, how)
		if st.CPU > 0 {
			fmt.Fprintf(w, "        CPU: %s\n", formatSpan(st.CPU, time.Millisecond))
		}
	}
	entries, _ := ReadJournal(journalPath, func(e Entry) bool { return e.Unit == st.Unit })
	if lines > 0 && len(entries) > 0 {
		fmt.Fprintln(w)
		for _, e := range entries[max(0, len(entries)-lines):] {
			fmt.Fprintln(w, e.Format())
		}
	}
}

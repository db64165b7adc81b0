// Package systemd is the part of systemd a kubeadm node's kubelet needs:
// the node's PID 1 runs the kubelet as the service kubelet.service with the
// unit file and drop-ins on the node (Restart=always, RestartSec=10, the
// flags kubeadm's drop-in passes), and records the service's output and
// its own messages about it in a journal; `systemctl` and `journalctl` on
// the node answer for that unit as systemd 252 and later do.
//
// Only kubelet.service exists. Other units get systemd's "not found"
// answers, and verbs other than status, start, stop, restart, is-active,
// is-enabled, enable, daemon-reload and cat a one-line refusal.
package systemd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
)

// Unit is a service unit as loaded from its file and drop-ins.
type Unit struct {
	Name          string   // kubelet.service
	FragmentPath  string   // the unit file
	DropIns       []string // drop-in files, in the order applied
	Description   string
	Documentation string
	// ExecStart is the command line as written, before expansion.
	ExecStart        string
	Environment      []string // KEY=VALUE, in order
	EnvironmentFiles []string // paths; a leading '-' means optional
	RestartSec       time.Duration
	// Sources are the files read, with their modification times, to
	// tell when a daemon-reload is due.
	Sources map[string]time.Time
}

// LoadUnit reads the kubelet's unit file and the drop-ins beside it
// (*.conf in kubelet.service.d, in name order), as systemd loads a unit.
func LoadUnit() (*Unit, error) {
	u := &Unit{Name: kubeadm.KubeletServiceUnit, FragmentPath: kubeadm.KubeletServiceFile, RestartSec: 100 * time.Millisecond, Sources: map[string]time.Time{}}
	if err := u.apply(u.FragmentPath); err != nil {
		return nil, err
	}
	entries, _ := os.ReadDir(kubeadm.KubeletDropInDir)
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".conf") && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(kubeadm.KubeletDropInDir, n)
		if err := u.apply(p); err != nil {
			return nil, err
		}
		u.DropIns = append(u.DropIns, p)
	}
	return u, nil
}

// apply reads one unit file into u: later settings add to lists, and an
// empty ExecStart= or Environment= resets it, as in systemd.
func (u *Unit) apply(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		u.Sources[path] = fi.ModTime()
	}
	sc := bufio.NewScanner(f)
	section := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch section + "." + key {
		case "Unit.Description":
			u.Description = value
		case "Unit.Documentation":
			u.Documentation = value
		case "Service.ExecStart":
			u.ExecStart = value
		case "Service.Environment":
			if value == "" {
				u.Environment = nil
			}
			u.Environment = append(u.Environment, splitWords(value)...)
		case "Service.EnvironmentFile":
			if value == "" {
				u.EnvironmentFiles = nil
			} else {
				u.EnvironmentFiles = append(u.EnvironmentFiles, value)
			}
		case "Service.RestartSec":
			if d, err := parseSeconds(value); err == nil {
				u.RestartSec = d
			}
		}
	}
	return sc.Err()
}

// parseSeconds reads a systemd time span: plain seconds, or a Go duration.
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// splitWords splits a unit file value into words, honouring double and
// single quotes.
func splitWords(s string) []string {
	var words []string
	var b strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			b.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, b.String())
	}
	return words
}

// Env is the service's environment at a start: Environment= settings, then
// each EnvironmentFile= read now (a missing optional file is skipped).
func (u *Unit) Env() (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range u.Environment {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, ef := range u.EnvironmentFiles {
		path, optional := strings.CutPrefix(ef, "-")
		data, err := os.ReadFile(path)
		if err != nil {
			if optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("failed to load environment files: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			env[strings.TrimSpace(k)] = v
		}
	}
	return env, nil
}

// Argv expands ExecStart with env as systemd does: $VAR becomes the
// variable's words, ${VAR} one word; an unset variable is empty.
func (u *Unit) Argv(env map[string]string) ([]string, error) {
	words := splitWords(u.ExecStart)
	if len(words) == 0 {
		return nil, errors.New("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.")
	}
	var argv []string
	for _, w := range words {
		switch {
		case strings.HasPrefix(w, "${") && strings.HasSuffix(w, "}"):
			argv = append(argv, env[w[2:len(w)-1]])
		case strings.HasPrefix(w, "$") && len(w) > 1:
			argv = append(argv, strings.Fields(env[w[1:]])...)
		default:
			argv = append(argv, w)
		}
	}
	return argv, nil
}

// Changed reports whether a unit file or drop-in was changed, added or
// removed since the unit was loaded: systemctl then asks for a
// daemon-reload.
func (u *Unit) Changed() bool {
	now, err := LoadUnit()
	if err != nil {
		return true
	}
	if len(now.Sources) != len(u.Sources) {
		return true
	}
	for p, t := range u.Sources {
		if !now.Sources[p].Equal(t) {
			return true
		}
	}
	return false
}

// Package nsenter runs a command inside a lab node's namespaces. Import it
// for its side effect: a C constructor that, when the environment holds
// _CKAT_NSENTER=PID, joins the user (when it differs), UTS, network, PID
// and mount namespaces of process PID before the Go runtime starts, forks,
// and makes the parent wait for the child and exit with its status. The
// child goes on into Go, where this package's init runs the command given
// after ExecMarker with the node's environment.
//
// A caller runs `EXE ExecArgs(...)` with EnvVar=PID in the environment,
// where EXE is any executable that imports this package.
package nsenter

/*
extern int ckat_nsenter_entered;
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ckat/ckat/internal/kubeadm"
)

// EnvVar names the PID whose namespaces the constructor joins.
const EnvVar = "_CKAT_NSENTER"

// ExecMarker is argv[1] of a process started to run a command on a node.
const ExecMarker = "__nodeexec"

// The node's environment.
const (
	// Path is the node's PATH.
	Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// Home is root's home on the node, and a command's default directory.
	Home = "/root"
	// Kubeconfig is the node's KUBECONFIG.
	Kubeconfig = kubeadm.AdminConf
	// PS1 makes a shell's prompt read root@NODE:~#.
	PS1 = `\u@\h:\w\$ `
)

// Exit statuses of a command that could not run, as shells use them.
const (
	statusCannotEnter = 125
	statusNotRunnable = 126
	statusNotFound    = 127
)

func init() {
	if len(os.Args) < 2 || os.Args[1] != ExecMarker {
		return
	}
	if C.ckat_nsenter_entered == 0 {
		fmt.Fprintf(os.Stderr, "ckat: %s runs a command on a lab's node and is started by ckat itself (see 'ckat exec')\n", ExecMarker)
		os.Exit(statusCannotEnter)
	}
	os.Exit(execInNode(os.Args[2:]))
}

// ExecArgs returns the arguments (after the executable) that run args on
// the node in dir (empty for Home) with env (NAME=VALUE) added to the
// node's environment.
func ExecArgs(dir string, env, args []string) []string {
	out := []string{ExecMarker}
	if dir != "" {
		out = append(out, "-C", dir)
	}
	for _, e := range env {
		out = append(out, "-e", e)
	}
	return append(append(out, "--"), args...)
}

// parseArgs is ExecArgs's inverse.
func parseArgs(args []string) (dir string, env, cmd []string, err error) {
	dir = Home
	for len(args) > 0 {
		switch {
		case args[0] == "--":
			cmd = args[1:]
			if len(cmd) == 0 {
				return "", nil, nil, errors.New("no command given")
			}
			return dir, env, cmd, nil
		case (args[0] == "-C" || args[0] == "-e") && len(args) > 1:
			if args[0] == "-C" {
				dir = args[1]
			} else {
				env = append(env, args[1])
			}
			args = args[2:]
		default:
			return "", nil, nil, fmt.Errorf("unexpected argument %q", args[0])
		}
	}
	return "", nil, nil, errors.New("no command given")
}

// Environ is the node's environment for a command, with extra
// (NAME=VALUE) taking precedence and TERM taken from the caller.
func Environ(hostname string, extra []string) []string {
	env := []string{
		"PATH=" + Path, "HOME=" + Home, "KUBECONFIG=" + Kubeconfig, "HOSTNAME=" + hostname,
		"USER=root", "LOGNAME=root", "SHELL=/bin/bash", "PS1=" + PS1,
	}
	if term, ok := os.LookupEnv("TERM"); ok {
		env = append(env, "TERM="+term)
	}
	index := map[string]int{}
	for i, e := range env {
		index[envName(e)] = i
	}
	for _, e := range extra {
		if i, ok := index[envName(e)]; ok {
			env[i] = e
			continue
		}
		index[envName(e)] = len(env)
		env = append(env, e)
	}
	return env
}

func envName(e string) string {
	name, _, _ := strings.Cut(e, "=")
	return name
}

// execInNode replaces the process with the command, or returns the status
// of a command that could not run after saying why.
func execInNode(args []string) int {
	dir, extra, cmd, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ckat exec: %v\n", err)
		return statusCannotEnter
	}
	hostname, _ := os.Hostname()
	env := Environ(hostname, extra)
	if err := os.Chdir(dir); err != nil {
		fmt.Fprintf(os.Stderr, "ckat exec: cd %s: %v\n", dir, unwrapPath(err))
		return statusCannotEnter
	}
	path, err := lookPath(cmd[0], pathOf(env))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "ckat exec: %s: command not found\n", cmd[0])
			return statusNotFound
		}
		fmt.Fprintf(os.Stderr, "ckat exec: %s: %v\n", cmd[0], unwrapPath(err))
		return statusNotRunnable
	}
	err = syscall.Exec(path, cmd, env)
	fmt.Fprintf(os.Stderr, "ckat exec: %s: %v\n", cmd[0], err)
	if errors.Is(err, syscall.ENOENT) {
		return statusNotFound
	}
	return statusNotRunnable
}

func pathOf(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if name, value, _ := strings.Cut(env[i], "="); name == "PATH" {
			return value
		}
	}
	return Path
}

// lookPath finds an executable as a shell does: a name with a slash is
// used as it is, anything else is searched for in path.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	var firstErr error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", fs.ErrNotExist
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("is a directory")
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

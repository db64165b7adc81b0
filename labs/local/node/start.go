package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// InitCommand is the hidden ckat command whose body is Init.
const InitCommand = "__node"

// readyTimeout bounds how long Start waits for PID 1 to set the node up.
const readyTimeout = 60 * time.Second

// readyOK is what PID 1 writes to its ready pipe once the node is set up;
// anything else it writes is its error.
const readyOK = "ok"

// Start spawns the node's PID 1 (`ckat __node LABDIR`) in new namespaces
// and returns its host PID once the node is set up, or PID 1's error. The
// node keeps running after the calling process exits; stop it with
// SIGTERM to the returned PID.
func Start(opts Options) (int, error) {
	if err := validate(&opts); err != nil {
		return 0, err
	}
	opts.CkatPath, opts.KubeAPIServerPath = pinExecutables(opts.LabDir, opts.CkatPath, opts.KubeAPIServerPath)
	if err := writeConfig(opts.LabDir, config{
		NodeName: opts.NodeName, NodeIP: opts.NodeIP,
		CkatPath: opts.CkatPath, KubeAPIServerPath: opts.KubeAPIServerPath,
	}); err != nil {
		return 0, err
	}
	apiFile, err := opts.APIListener.File()
	if err != nil {
		return 0, fmt.Errorf("passing the API server's listener to the node: %w", err)
	}
	defer apiFile.Close()
	etcdFile, err := opts.EtcdListener.File()
	if err != nil {
		return 0, fmt.Errorf("passing etcd's listener to the node: %w", err)
	}
	defer etcdFile.Close()
	logFile, err := os.OpenFile(opts.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("opening the node's log: %w", err)
	}
	defer logFile.Close()
	readR, readyW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer readR.Close()

	cmd := exec.Command(opts.CkatPath, InitCommand, opts.LabDir)
	cmd.Env = []string{"PATH=" + Path, "HOME=" + Home, "LANG=C.UTF-8"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{apiFile, etcdFile, readyW} // fds 3, 4, 5
	cmd.SysProcAttr = namespaceAttr()
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return 0, startError(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reap PID 1 if it ends while this process lives
		close(exited)
	}()

	msg, err := readReady(readR)
	if err == nil && msg == readyOK {
		return cmd.Process.Pid, nil
	}
	_ = cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("the node did not come up: %w (see %s)", err, opts.LogFile)
	case msg != "":
		return 0, errors.New(msg)
	default:
		if last := lastLine(opts.LogFile); last != "" {
			return 0, fmt.Errorf("the node exited while starting: %s", last)
		}
		return 0, fmt.Errorf("the node exited while starting (see %s)", opts.LogFile)
	}
}

// validate checks opts and makes its paths absolute.
func validate(o *Options) error {
	if o.LabDir == "" || o.NodeName == "" || o.LogFile == "" {
		return errors.New("starting a node needs a lab directory, a node name and a log file")
	}
	if ip := net.ParseIP(o.NodeIP); ip == nil || ip.To4() == nil {
		return fmt.Errorf("invalid node IP %q: want an IPv4 address", o.NodeIP)
	}
	if o.APIListener == nil || o.EtcdListener == nil {
		return errors.New("starting a node needs the API server's and etcd's host listeners")
	}
	var err error
	if o.LabDir, err = filepath.Abs(o.LabDir); err != nil {
		return err
	}
	if err := checkMountPath(o.LabDir); err != nil {
		return err
	}
	if o.CkatPath == "" {
		if o.CkatPath, err = os.Executable(); err != nil {
			return fmt.Errorf("finding the ckat executable: %w", err)
		}
	}
	if o.CkatPath, err = executable(o.CkatPath); err != nil {
		return err
	}
	if o.KubeAPIServerPath != "" {
		if o.KubeAPIServerPath, err = executable(o.KubeAPIServerPath); err != nil {
			return err
		}
	}
	return nil
}

// executable returns path's absolute, symlink-free form once it names an
// executable regular file.
func executable(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		return "", fmt.Errorf("executable %s: %w", path, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("executable %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", path)
	}
	return p, nil
}

// namespaceAttr returns the attributes that give PID 1 its namespaces:
// mount, network, UTS and PID, plus a user namespace mapping root to the
// caller when the caller is not root.
func namespaceAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{
		Setsid:     true,
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWPID,
	}
	if os.Getuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	return attr
}

// startError explains a failure to spawn PID 1, in one line.
func startError(err error) error {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.EINVAL, syscall.ENOSPC, syscall.EUSERS, syscall.EACCES} {
		if errors.Is(err, errno) {
			what := "mount, network, UTS and PID namespaces"
			fix := "run ckat as root, or allow them to this process (a container needs CAP_SYS_ADMIN, e.g. --privileged)"
			if os.Getuid() != 0 {
				what = "a user namespace"
				fix = "enable unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0), or run ckat as root"
			}
			return fmt.Errorf("cannot create %s for the node (%v): %s, or use --provider kind", what, errno, fix)
		}
	}
	return fmt.Errorf("starting the node: %w", err)
}

// readReady reads what PID 1 writes to its ready pipe until it closes it.
func readReady(r *os.File) (string, error) {
	_ = r.SetReadDeadline(time.Now().Add(readyTimeout))
	data, err := io.ReadAll(r)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "", fmt.Errorf("not set up after %s", readyTimeout)
	}
	return strings.TrimSpace(string(data)), err
}

// lastLine returns the last non-empty line of a file.
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	return strings.TrimSpace(string(lines[len(lines)-1]))
}

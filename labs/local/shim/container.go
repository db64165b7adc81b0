package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Spec is what `ckat-shim __container SPEC.json` needs to build a
// container's root and exec its process.
type Spec struct {
	// Root is the container's scratch root directory (node path).
	Root string `json:"root"`
	// Executable, when set, is bound at /usr/local/bin/<Argv[0]>.
	Executable string   `json:"executable,omitempty"`
	Argv       []string `json:"argv"`
	Env        []string `json:"env"`
	WorkingDir string   `json:"workingDir,omitempty"`
	Mounts     []Mount  `json:"mounts,omitempty"`
}

// DefaultPath is a container's PATH when its spec sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// systemDirs are bound read-only from the node into every container root;
// a symlink (merged /usr) is copied as a symlink.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// etcFiles are copied from the node into the container's own /etc.
var etcFiles = []string{"hosts", "resolv.conf", "passwd", "group", "nsswitch.conf", "hostname", "localtime"}

// errorFD is the descriptor on which __container reports a setup error
// before exec; a successful exec closes it.
const errorFD = 3

// ContainerMain is the body of the hidden `ckat-shim __container SPEC.json`
// command. It runs in a new mount namespace: it builds the container's root,
// binds its volumes, pivots into it and execs the container's process.
// It returns only on error, which it has also written to the error pipe.
func ContainerMain(specPath string) error {
	errPipe := os.NewFile(errorFD, "error-pipe")
	err := startContainer(specPath)
	if errPipe != nil {
		fmt.Fprint(errPipe, err.Error())
	}
	return err
}

func startContainer(specPath string) error {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return fmt.Errorf("reading container spec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("container spec %s: %w", specPath, err)
	}
	if len(s.Argv) == 0 {
		return errors.New("container spec has no command")
	}
	unix.CloseOnExec(errorFD)
	if err := buildRoot(&s); err != nil {
		return err
	}
	if err := pivot(s.Root); err != nil {
		return err
	}
	dir := s.WorkingDir
	if dir == "" {
		dir = "/"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("working directory %s: %w", dir, err)
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("working directory %s: %w", dir, err)
	}
	os.Clearenv()
	for _, kv := range s.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			os.Setenv(k, v)
		}
	}
	exe := s.Argv[0]
	if s.Executable != "" {
		exe = "/usr/local/bin/" + filepath.Base(s.Argv[0])
	} else if !strings.Contains(exe, "/") {
		if exe, err = exec.LookPath(exe); err != nil {
			return fmt.Errorf("exec: %q: executable file not found in $PATH", s.Argv[0])
		}
	}
	if err := unix.Exec(exe, s.Argv, s.Env); err != nil {
		return fmt.Errorf("exec %s: %w", exe, err)
	}
	return nil
}

// buildRoot makes s.Root a mount point holding what a process needs, then
// the container's volumes.
func buildRoot(s *Spec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	root := s.Root
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if err := bind(root, root, false, false); err != nil {
		return err
	}
	for _, d := range systemDirs {
		st, err := os.Lstat(d)
		if err != nil {
			continue
		}
		if st.Mode()&os.ModeSymlink != 0 {
			link, err := os.Readlink(d)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, filepath.Join(root, d)); err != nil {
				return err
			}
			continue
		}
		if err := bindDir(d, filepath.Join(root, d), true); err != nil {
			return err
		}
	}
	if err := bindDir("/dev", filepath.Join(root, "dev"), false); err != nil {
		return err
	}
	if err := bindDir("/sys", filepath.Join(root, "sys"), true); err != nil {
		return err
	}
	procDir := filepath.Join(root, "proc")
	if err := os.MkdirAll(procDir, 0o555); err != nil {
		return err
	}
	if err := unix.Mount("proc", procDir, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		if err := bind("/proc", procDir, false, false); err != nil {
			return fmt.Errorf("mounting /proc: %w", err)
		}
	}
	if err := makeEtc(filepath.Join(root, "etc")); err != nil {
		return err
	}
	for _, d := range []string{"tmp", "var/tmp", "run", "root"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{"tmp", "var/tmp"} {
		if err := os.Chmod(filepath.Join(root, d), 0o1777); err != nil {
			return err
		}
	}
	if s.Executable != "" {
		if err := bindExecutable(s, filepath.Base(s.Argv[0])); err != nil {
			return err
		}
	}
	for _, m := range s.Mounts {
		target := filepath.Join(root, m.Target)
		if err := mkTarget(target, m.File); err != nil {
			return fmt.Errorf("volume at %s: %w", m.Target, err)
		}
		if err := bind(m.Source, target, m.ReadOnly, true); err != nil {
			return fmt.Errorf("volume at %s: %w", m.Target, err)
		}
	}
	return nil
}

// bindExecutable binds the executable at /usr/local/bin/NAME in a
// directory of the container's own, hiding the node's /usr/local/bin.
func bindExecutable(s *Spec, name string) error {
	binDir := filepath.Join(filepath.Dir(s.Root), "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	target := filepath.Join(s.Root, "usr/local/bin")
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		return fmt.Errorf("the node has no /usr/local/bin to hold %s", name)
	}
	if err := bind(binDir, target, false, false); err != nil {
		return err
	}
	exe := filepath.Join(target, name)
	if err := mkTarget(exe, true); err != nil {
		return err
	}
	return bind(s.Executable, exe, true, false)
}

func bindDir(src, target string, readOnly bool) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	return bind(src, target, readOnly, true)
}

// mkTarget creates a mount point: a directory, or an empty file.
func mkTarget(target string, file bool) error {
	if !file {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// bind bind-mounts src at target, recursively if asked, and makes it
// read-only if asked, keeping the flags a user namespace locks.
func bind(src, target string, readOnly, recursive bool) error {
	flags := uintptr(unix.MS_BIND)
	if recursive {
		flags |= unix.MS_REC
	}
	if err := unix.Mount(src, target, "", flags, ""); err != nil {
		return fmt.Errorf("bind-mounting %s at %s: %w", src, target, err)
	}
	if !readOnly {
		return nil
	}
	if recursive {
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(-1, target, unix.AT_RECURSIVE, attr); err == nil {
			return nil
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return err
	}
	locked := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|locked, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", target, err)
	}
	return nil
}

// makeEtc gives the container a minimal /etc of its own, copied from the
// node's.
func makeEtc(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range etcFiles {
		src, err := os.Open(filepath.Join("/etc", name))
		if err != nil {
			continue
		}
		dst, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err == nil {
			_, err = io.Copy(dst, src)
			if cerr := dst.Close(); err == nil {
				err = cerr
			}
		}
		src.Close()
		if err != nil {
			return fmt.Errorf("copying /etc/%s: %w", name, err)
		}
	}
	return nil
}

// pivot makes root the process's root and detaches the old one.
func pivot(root string) error {
	old := filepath.Join(root, ".oldroot")
	if err := os.MkdirAll(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	return os.Remove("/.oldroot")
}

// Mount is one volume mount of a container: a node path bound at a
// container path.
type Mount struct {
	Source   string `json:"source"` // node path
	Target   string `json:"target"` // container path
	ReadOnly bool   `json:"readOnly,omitempty"`
	File     bool   `json:"file,omitempty"` // Source is not a directory
}

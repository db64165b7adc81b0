package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/labs/local/shim"
)

// Top-level node directories that are not the host's.
var (
	// overlayDirs are the host's directories with the node's changes laid
	// over them: node path -> name of the upper and work directories.
	overlayDirs = map[string]string{"/etc": "etc", "/var": "var", "/usr/local": "usr-local"}
	// persistentDirs are the node's own directories, bound from node/NAME.
	persistentDirs = map[string]os.FileMode{"opt": 0o755, "srv": 0o755, "root": 0o700, "tmp": 0o777 | os.ModeSticky}
)

// setupNode builds the node's root filesystem in a tmpfs mounted (in the
// node's mount namespace only) at LABDIR/run/rootfs, pivots into it, and
// sets the hostname, the node IP, the tool links and /etc/hosts.
func setupNode(labDir string, cfg config) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the node's mounts private: %w", err)
	}
	rootfs := filepath.Join(labDir, "run", "rootfs")
	if err := buildRoot(labDir, rootfs, cfg, inUserNamespace()); err != nil {
		return err
	}
	if err := pivot(rootfs); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(cfg.NodeName)); err != nil {
		return fmt.Errorf("setting the hostname: %w", err)
	}
	if err := setupLoopback(cfg.NodeIP); err != nil {
		return fmt.Errorf("setting up lo with %s: %w", cfg.NodeIP, err)
	}
	if err := os.MkdirAll("/run/lock", 0o777|os.ModeSticky); err != nil {
		return err
	}
	return addHostsEntry("/etc/hosts", cfg.NodeName, cfg.NodeIP)
}

// buildRoot mounts the node's root at rootfs: every top-level entry of the
// host's / bound as it is, except the overlays, the node's own
// directories, a fresh /run and a fresh /proc.
func buildRoot(labDir, rootfs string, cfg config, userns bool) error {
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", rootfs, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mounting the node's root at %s: %w", rootfs, err)
	}
	// Unbindable, so that binding a host directory holding the lab does
	// not copy the node's root into itself.
	if err := unix.Mount("", rootfs, "", unix.MS_UNBINDABLE, ""); err != nil {
		return fmt.Errorf("making the node's root unbindable: %w", err)
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	if err := installPackageFiles(labDir); err != nil {
		return err
	}
	// Written before /etc is mounted, in its upper directory, as the
	// host's /etc may belong to an unmapped user.
	if err := writeCrictlConfig(filepath.Join(labDir, "node", overlayDirs["/etc"])); err != nil {
		return err
	}
	names := map[string]bool{"etc": true, "var": true, "proc": true, "run": true, "dev": true, "sys": true}
	for name := range persistentDirs {
		names[name] = true
	}
	types := map[string]os.FileMode{}
	for _, e := range entries {
		names[e.Name()] = true
		types[e.Name()] = e.Type()
	}
	sorted := make([]string, 0, len(names))
	for name := range names {
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	for _, name := range sorted {
		if err := mountEntry(labDir, rootfs, name, types[name], cfg, userns); err != nil {
			return err
		}
	}
	// The links go straight into the upper directory: in a user namespace
	// the host's /usr/local/bin belongs to an unmapped user.
	if err := linkTools(filepath.Join(labDir, "node", overlayDirs["/usr/local"], "bin")); err != nil {
		return err
	}
	if err := mountOverlay(labDir, rootfs, "/usr/local", userns); err != nil {
		return err
	}
	return mountUnitDir(labDir, rootfs, userns)
}

// mountEntry sets up the node's /name.
func mountEntry(labDir, rootfs, name string, typ os.FileMode, cfg config, userns bool) error {
	dst := filepath.Join(rootfs, name)
	host := "/" + name
	if mode, ok := persistentDirs[name]; ok {
		src := filepath.Join(labDir, "node", name)
		if err := mkdirMode(src, mode); err != nil {
			return err
		}
		return bindDir(src, dst, false)
	}
	switch name {
	case "etc", "var":
		return mountOverlay(labDir, rootfs, host, userns)
	case "proc":
		if err := os.Mkdir(dst, 0o555); err != nil {
			return err
		}
		if err := unix.Mount("proc", dst, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mounting the node's /proc: %w", err)
		}
		return nil
	case "run":
		return mountRun(dst, cfg)
	case "dev", "sys":
		return bindDir(host, dst, true)
	}
	switch {
	case typ&os.ModeSymlink != 0:
		target, err := os.Readlink(host)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case typ.IsDir():
		return bindDir(host, dst, true)
	case typ.IsRegular():
		return bindFile(host, dst, false)
	}
	return nil // sockets, devices and the like at the top level are left out
}

// mountOverlay mounts the host's dir with the node's upper directory
// node/NAME over it at rootfs+dir.
func mountOverlay(labDir, rootfs, dir string, userns bool) error {
	name := overlayDirs[dir]
	upper := filepath.Join(labDir, "node", name)
	work := filepath.Join(labDir, "work", name)
	dst := filepath.Join(rootfs, dir)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("the host's %s: %w", dir, err)
	}
	for _, d := range []string{upper, work, dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", dir, upper, work)
	if userns {
		opts += ",userxattr"
		if err := claimDirs(dir, upper, claimDepth[dir]); err != nil {
			return err
		}
	}
	if err := unix.Mount("overlay", dst, "overlay", 0, opts); err != nil {
		hint := ""
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV) {
			hint = fmt.Sprintf(" (the lab directory %s must be on a filesystem overlayfs can write to, such as ext4, xfs, btrfs or tmpfs: set CKAT_HOME elsewhere)", labDir)
		}
		return fmt.Errorf("mounting the node's %s (overlay %s): %w%s", dir, opts, err, hint)
	}
	return nil
}

// mountRun mounts a fresh tmpfs at dst with the host's executables bound
// in /run/ckat/bin.
func mountRun(dst string, cfg config) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dst, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting the node's /run: %w", err)
	}
	bin := filepath.Join(dst, strings.TrimPrefix(BinDir, "/run/"))
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	if err := bindFile(cfg.CkatPath, filepath.Join(bin, "ckat"), true); err != nil {
		return err
	}
	// The agent runs a container's shim from ckat-shim beside ckat.
	if exe := shim.Find(filepath.Dir(cfg.CkatPath)); exe != "" {
		if err := bindFile(exe, filepath.Join(bin, shim.Executable), true); err != nil {
			return err
		}
	}
	if cfg.KubeAPIServerPath != "" {
		return bindFile(cfg.KubeAPIServerPath, filepath.Join(bin, "kube-apiserver"), true)
	}
	return nil
}

// bindDir binds src at dst (a new directory), recursively when rec is set.
func bindDir(src, dst string, rec bool) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	flags := uintptr(unix.MS_BIND)
	if rec {
		flags |= unix.MS_REC
	}
	if err := unix.Mount(src, dst, "", flags, ""); err != nil {
		return fmt.Errorf("binding %s into the node: %w", src, err)
	}
	return nil
}

// bindFile binds the file src at dst (a new empty file), read-only when
// readOnly is set and the kernel allows it.
func bindFile(src, dst string, readOnly bool) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s into the node: %w", src, err)
	}
	if readOnly {
		// A user namespace may not be allowed to change the flags of a
		// mount it inherited; the bind then stays writable.
		_ = unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
	}
	return nil
}

// pivot makes rootfs the root of the mount namespace and detaches the
// host's root.
func pivot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", rootfs, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	// Undo the unbindable mark, so that the node's processes may bind /.
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the node's root private: %w", err)
	}
	return nil
}

// mkdirMode creates dir with mode (umask aside) unless it exists.
func mkdirMode(dir string, mode os.FileMode) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// inUserNamespace reports whether this process runs in a user namespace
// other than the initial one.
func inUserNamespace() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

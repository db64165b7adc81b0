package grader

import (
	"context"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/kubeadm"
)

// etcdMount is where etcd's data dir resolves through a pod's mounts.
type etcdMount struct {
	dataDir  string              // --data-dir, absolute and clean
	mount    *corev1.VolumeMount // the mount holding it; nil when none does
	volume   *corev1.Volume      // the volume that mount names
	hostPath string              // where the data dir lives on the host ("" unless a hostPath)
}

// Run judges the etcd manifest by meaning: the host directory etcd's
// --data-dir resolves to through its volume mounts must be DataDir.
func (c *EtcdDataVolumeCheck) Run(ctx context.Context, t Target) Result {
	manifest := c.Manifest
	if manifest == "" {
		manifest = kubeadm.EtcdManifest
	}
	file, sp, err := findStaticPod(ctx, t.Node, manifest)
	if err != nil {
		return manifestReadResult(manifest, "etcd's manifest", err)
	}
	manifest = file
	pod := sp.Pod
	if others := otherManifests(ctx, t, manifest, pod); len(others) > 0 {
		return duplicateManifestResult(manifest, pod, others)
	}
	want := path.Clean(c.DataDir)
	container := etcdContainer(pod)
	m := resolveDataDir(pod, container)
	ev := []Evidence{{Source: manifest, Field: fmt.Sprintf("spec.containers[%s] --data-dir", container.Name),
		Want: "a path under a hostPath volumeMount", Got: m.dataDir}}
	fail := func(format string, args ...any) Result {
		return Result{Status: StatusFail, Message: fmt.Sprintf(format, args...) + ignoredNote(sp), Evidence: ev}
	}

	if m.mount == nil {
		const lost = "etcd writes to the container's own filesystem and starts empty"
		dm := dataMount(pod, container, want)
		var dv *corev1.Volume
		if dm != nil {
			ev = append(ev, Evidence{Source: manifest, Field: fmt.Sprintf("volumeMounts[%s].mountPath", dm.Name),
				Want: "a prefix of --data-dir " + m.dataDir, Got: dm.MountPath})
			if dv = findVolume(pod, dm.Name); dv != nil && dv.HostPath != nil {
				ev = append(ev, Evidence{Source: manifest, Field: fmt.Sprintf("volumes[%s].hostPath.path", dv.Name), Want: want, Got: dv.HostPath.Path})
			}
		}
		ev = append(ev, Evidence{Source: manifest, Field: "host path of etcd's data", Want: want,
			Got: "none: the container's own filesystem"})
		if dm != nil {
			mp := path.Clean(dm.MountPath)
			if dv != nil && dv.HostPath != nil && path.Clean(dv.HostPath.Path) != kubeadm.EtcdDataDir && mp == kubeadm.EtcdDataDir {
				// hostPath and --data-dir both moved; the mount stayed.
				r := fail("the hostPath and --data-dir changed but the mountPath did not: volume %s (hostPath %s) is mounted at %s, and --data-dir %s is outside every volumeMount, so %s",
					dm.Name, dv.HostPath.Path, dm.MountPath, m.dataDir, lost)
				r.Hint = fmt.Sprintf("In %s, --data-dir must be inside the etcd-data volumeMount: change the mountPath %s to %s as well, or set --data-dir back to %s and change only the hostPath.",
					manifest, dm.MountPath, m.dataDir, dm.MountPath)
				return r
			}
			if mp == kubeadm.EtcdDataDir {
				return fail("only --data-dir changed: %s is outside every volumeMount (volume %s is still mounted at %s), so %s",
					m.dataDir, dm.Name, dm.MountPath, lost)
			}
			if m.dataDir == kubeadm.EtcdDataDir {
				return fail("the mountPath changed without --data-dir: volume %s is mounted at %s but --data-dir is still %s, outside every volumeMount, so %s",
					dm.Name, dm.MountPath, m.dataDir, lost)
			}
		}
		return fail("etcd's --data-dir %s is outside every volumeMount: %s", m.dataDir, lost)
	}

	ev = append(ev, Evidence{Source: manifest, Field: fmt.Sprintf("volumeMounts[%s].mountPath", m.mount.Name),
		Want: "a prefix of --data-dir", Got: m.mount.MountPath})
	if m.volume.HostPath == nil {
		kind := volumeKind(m.volume)
		ev = append(ev, Evidence{Source: manifest, Field: fmt.Sprintf("volumes[%s]", m.volume.Name), Want: "hostPath " + want, Got: kind})
		return fail("volume %s, mounted at etcd's --data-dir %s, is %s, not a hostPath: etcd's data would not be the restored directory %s and would not outlive the pod",
			m.volume.Name, m.dataDir, kind, want)
	}
	ev = append(ev,
		Evidence{Source: manifest, Field: fmt.Sprintf("volumes[%s].hostPath.path", m.volume.Name), Want: hostPathFor(m, want), Got: m.volume.HostPath.Path},
		Evidence{Source: manifest, Field: "host path of etcd's data", Want: want, Got: m.hostPath})
	if m.hostPath == want {
		return Result{Status: StatusPass, Evidence: ev,
			Message: fmt.Sprintf("etcd's --data-dir %s is on host path %s through volume %s", m.dataDir, want, m.volume.Name)}
	}
	// A symlink on the host path is followed: the kubelet checks a
	// DirectoryOrCreate hostPath with os.Stat (pkg/volume/hostpath/
	// host_path.go, checkType; pkg/volume/util/hostutil, GetFileType) and
	// the runtime's bind mount resolves the source, so etcd, once
	// (re)started, runs on the symlink's target. By effect, a symlink at
	// /var/lib/etcd to the restored directory is right; the etcd-serving
	// check says whether etcd has been restarted onto it.
	if real, err := t.Node.RealPath(ctx, m.hostPath); err == nil && real != m.hostPath {
		ev[len(ev)-1].Got = fmt.Sprintf("%s, a symlink to %s", m.hostPath, real)
		if wantReal, err := t.Node.RealPath(ctx, want); err == nil && wantReal == real {
			return Result{Status: StatusPass, Evidence: ev,
				Message: fmt.Sprintf("etcd's --data-dir %s is on host path %s through volume %s, and %s is a symlink to %s, which the kubelet's hostPath follows",
					m.dataDir, m.hostPath, m.volume.Name, m.hostPath, want)}
		}
		return fail("etcd's data dir resolves to host path %s, a symlink to %s, not the restored data directory %s", m.hostPath, real, want)
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.Name != m.volume.Name && v.HostPath != nil && path.Clean(v.HostPath.Path) == want {
			return fail("the hostPath %s is set on the wrong volume: %s (mounted at %s) is not the one holding etcd's --data-dir; etcd still uses %s through volume %s",
				want, v.Name, mountPathOf(container, v.Name), m.hostPath, m.volume.Name)
		}
	}
	if info, err := t.Node.Stat(ctx, m.hostPath); (err == nil && info.Mode().IsRegular()) || strings.HasSuffix(m.hostPath, ".db") {
		return fail("etcd's data dir resolves to host path %s, a file (the snapshot?), not the restored data directory %s", m.hostPath, want)
	}
	if m.hostPath == kubeadm.EtcdDataDir {
		return fail("etcd still uses the original data directory %s on the host, not the restored %s", m.hostPath, want)
	}
	return fail("etcd's data dir resolves to host path %s, not %s", m.hostPath, want)
}

// etcdContainer is the container named etcd, else the one running etcd,
// else the first.
func etcdContainer(pod *corev1.Pod) *corev1.Container {
	cs := pod.Spec.Containers
	for i := range cs {
		if cs[i].Name == "etcd" {
			return &cs[i]
		}
	}
	for i := range cs {
		if len(cs[i].Command) > 0 && path.Base(cs[i].Command[0]) == "etcd" {
			return &cs[i]
		}
	}
	return &cs[0]
}

// resolveDataDir finds etcd's data dir (flag, ETCD_DATA_DIR, or etcd's
// default NAME.etcd in the working directory) and where it lives.
func resolveDataDir(pod *corev1.Pod, c *corev1.Container) etcdMount {
	dir := ""
	if v := FlagValues(*c, "--data-dir"); len(v) > 0 {
		dir = v[len(v)-1]
	} else {
		for _, e := range c.Env {
			if e.Name == "ETCD_DATA_DIR" {
				dir = e.Value
			}
		}
	}
	if dir == "" {
		name := "default"
		if v := FlagValues(*c, "--name"); len(v) > 0 {
			name = v[len(v)-1]
		}
		dir = name + ".etcd"
	}
	if !path.IsAbs(dir) {
		wd := c.WorkingDir
		if wd == "" {
			wd = "/"
		}
		dir = path.Join(wd, dir)
	}
	m := etcdMount{dataDir: path.Clean(dir)}
	best := -1
	for i := range c.VolumeMounts {
		mp := path.Clean(c.VolumeMounts[i].MountPath)
		if under(m.dataDir, mp) && len(mp) > best {
			best = len(mp)
			m.mount = &c.VolumeMounts[i]
		}
	}
	if m.mount == nil {
		return m
	}
	m.volume = findVolume(pod, m.mount.Name)
	if m.volume.HostPath != nil {
		rest := strings.TrimPrefix(m.dataDir, path.Clean(m.mount.MountPath))
		m.hostPath = path.Join("/", m.volume.HostPath.Path, m.mount.SubPath, rest)
	}
	return m
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// dataMount is the mount that looks meant for etcd's data: kubeadm's
// etcd-data volume, else a hostPath mount of want or of kubeadm's data dir.
func dataMount(pod *corev1.Pod, c *corev1.Container, want string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == kubeadm.EtcdDataVolume {
			return &c.VolumeMounts[i]
		}
	}
	for _, v := range pod.Spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		if hp := path.Clean(v.HostPath.Path); hp == want || hp == kubeadm.EtcdDataDir {
			for i := range c.VolumeMounts {
				if c.VolumeMounts[i].Name == v.Name {
					return &c.VolumeMounts[i]
				}
			}
		}
	}
	return nil
}

// hostPathFor is the hostPath value that would make the data dir resolve to
// want through m's mount.
func hostPathFor(m etcdMount, want string) string {
	rest := strings.TrimPrefix(m.dataDir, path.Clean(m.mount.MountPath))
	if rest == "" && m.mount.SubPath == "" {
		return want
	}
	return fmt.Sprintf("such that hostPath/%s resolves to %s", strings.TrimPrefix(path.Join(m.mount.SubPath, rest), "/"), want)
}

func mountPathOf(c *corev1.Container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return "nowhere"
}

// volumeKind names a volume's source as the manifest spells it.
func volumeKind(v *corev1.Volume) string {
	switch s := v.VolumeSource; {
	case s.EmptyDir != nil:
		return "an emptyDir"
	case s.ConfigMap != nil:
		return "a configMap"
	case s.Secret != nil:
		return "a secret"
	case s.PersistentVolumeClaim != nil:
		return "a persistentVolumeClaim"
	case s.Projected != nil:
		return "a projected volume"
	default:
		return "an emptyDir (no volume source given)"
	}
}

// findVolume is the pod's volume named name, or nil.
func findVolume(pod *corev1.Pod, name string) *corev1.Volume {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}

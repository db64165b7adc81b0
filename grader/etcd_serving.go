package grader

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/ckat/ckat/grader/internal/etcddata"
	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
)

// DefaultEtcdServingTimeout is how long EtcdServingCheck polls by default:
// the node restarts etcd when its manifest changes, and a restored etcd
// takes a few seconds to answer.
const DefaultEtcdServingTimeout = 30 * time.Second

// The pause between two looks starts at etcdServingPollInterval: short,
// since on a settled cluster the data directory trails what etcd serves
// by up to etcd's 100ms backend commit interval. It doubles after each
// look up to etcdServingMaxPollInterval: a look runs etcdctl on the node
// three times and reads the data directory's db, about 0.1 s of CPU, so
// 30 s of looks every 200 ms kept most of a core busy, while a pause of
// a second or two only delays the verdict of an etcd still restarting.
const (
	etcdServingPollInterval    = 200 * time.Millisecond
	etcdServingMaxPollInterval = 1600 * time.Millisecond
)

// etcdServingQuietPolling is how long the check may poll before its
// message says it did.
const etcdServingQuietPolling = time.Second

// Run checks that etcd answers at Endpoint over TLS with the certificates
// its manifest names, using etcdctl on the node (endpoint health, endpoint
// status). The subject is "etcd serves": etcd down or refusing is a wrong
// answer (fail); only failing to run etcdctl at all is an error.
//
// With DataDir set it also checks that the serving member's data is that
// directory, read-only and without trusting identities (a restore with the
// same flags has the original's member and cluster IDs): it takes the
// revision R etcd serves, waits for DataDir's member/snap/db to hold R,
// takes the newest record at or below R whose key still exists at R, and
// asks etcd for that key at revision R; etcd serving another directory
// does not have that record byte for byte (and a directory nobody serves
// never reaches R). It reads at R, not at the record's own revision: a
// restore with `--bump-revision N --mark-compacted` compacts every
// revision below its bumped one, so an older revision cannot be read.
//
// A failing look is repeated until Timeout passes, since etcd may be
// restarting on a manifest just edited (etcd commits its backend every
// 100ms, so the directory also catches up with what etcd serves); the
// last look's verdict is the result. An etcd that does not answer while
// its manifest is missing or does not parse fails at once: nothing will
// start it; so does one the kubelet reports it keeps restarting
// (CrashLoopBackOff); and so does an etcd that answers from another
// directory while it runs the manifest as it is (etcdSettled).
func (c *EtcdServingCheck) Run(ctx context.Context, t Target) Result {
	timeout := c.Timeout.Duration
	if timeout == 0 {
		timeout = DefaultEtcdServingTimeout
	}
	start := time.Now()
	deadline := start.Add(timeout)
	pause := wait.Backoff{Duration: etcdServingPollInterval, Factor: 2, Steps: math.MaxInt32, Cap: etcdServingMaxPollInterval}
	for looks := 1; ; looks++ {
		res, down := c.look(ctx, t)
		if down {
			if w := staticPodWontRun(ctx, t, kubeadm.EtcdManifest); w != nil {
				res.Message += ", and nothing will start it: " + w.Reason
				res.Evidence = append([]Evidence{w.Evidence}, res.Evidence...)
				return res
			}
			if w := wontRestartReady(ctx, t, etcdPod); w != nil {
				res.Message += ", and will not: " + w.Reason
				res.Evidence = append([]Evidence{w.Evidence}, res.Evidence...)
				return res
			}
		}
		// etcd answers, but from elsewhere: once the directory has had
		// time to catch up, nothing changes unless etcd is restarted.
		if res.Status == StatusFail && !down && time.Since(start) >= etcdServingQuietPolling {
			if why := etcdSettled(ctx, t); why != "" {
				res.Message += fmt.Sprintf(" (after %s of polling; %s)", time.Since(start).Round(100*time.Millisecond), why)
				return res
			}
		}
		if res.Status != StatusFail || time.Now().After(deadline) || ctx.Err() != nil {
			if looked := time.Since(start); looks > 1 && looked >= etcdServingQuietPolling {
				res.Message += fmt.Sprintf(" (after %s of polling)", looked.Round(100*time.Millisecond))
			}
			return res
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(pause.Step(), time.Until(deadline))):
		}
	}
}

// look checks once. down is set when etcd did not answer or said it is
// unhealthy, as opposed to answering wrong.
func (c *EtcdServingCheck) look(ctx context.Context, t Target) (res Result, down bool) {
	var v verdict
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = kubeadm.EtcdLocalClientURL()
	}
	ctl := etcdctlFor(ctx, t, endpoint, &v)
	src := "etcdctl@" + t.Node.Name()

	out, r := ctl.run(ctx, &v, "endpoint", "health", "-w", "json")
	if r != nil {
		return *r, r.Status == StatusFail
	}
	v.add(src, "endpoint health", "healthy", firstLine(out))
	var health []struct {
		Health bool   `json:"health"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &health); err != nil || len(health) == 0 || !health[0].Health {
		return v.fail("etcd at %s is not healthy: %s", endpoint, firstLine(out)), true
	}
	out, r = ctl.run(ctx, &v, "endpoint", "status", "-w", "json")
	if r != nil {
		return *r, r.Status == StatusFail
	}
	var status []struct {
		Status struct {
			Header struct {
				Revision int64 `json:"revision"`
			} `json:"header"`
			Version string `json:"version"`
			DBSize  int64  `json:"dbSize"`
		} `json:"Status"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil || len(status) == 0 {
		return v.err("cannot read etcdctl endpoint status output: %s", firstLine(out)), false
	}
	st := status[0].Status
	v.add(src, "version", "", st.Version)
	v.add(src, "revision", "", fmt.Sprint(st.Header.Revision))
	if c.DataDir == "" {
		return v.pass("etcd %s answers at %s at revision %d", st.Version, endpoint, st.Header.Revision), false
	}
	return c.checkDataDir(ctx, t, ctl, st.Header.Revision, &v), false
}

// checkDataDir checks that the record etcd serves at rev is in DataDir.
func (c *EtcdServingCheck) checkDataDir(ctx context.Context, t Target, ctl *etcdctl, rev int64, v *verdict) Result {
	dbPath := path.Join(c.DataDir, "member/snap/db")
	dbSrc := nodeSource(t, dbPath)
	// A data directory that is not there is the learner's answer, not the
	// grader failing to look: etcd serves something else.
	if _, err := t.Node.Stat(ctx, dbPath); errors.Is(err, fs.ErrNotExist) {
		v.add(dbSrc, "etcd database", "present", "does not exist")
		return v.fail("etcd serves, but %s holds no etcd database (%s does not exist): etcd is not serving the restored data (check --data-dir and the etcd-data volume in %s)",
			c.DataDir, dbPath, kubeadm.EtcdManifest)
	}
	db, st, r := openNodeDB(ctx, t, dbPath, &verdict{})
	if r != nil {
		if r.Status == StatusError {
			return v.err("%s", r.Message)
		}
		v.ev = append(v.ev, r.Evidence...)
		return v.fail("etcd serves, but %s is not a readable etcd data directory: %s", c.DataDir, r.Message)
	}
	var rec *etcddata.Record
	var bumped int64
	dirRev := st.Revision
	if dirRev >= rev {
		rec, bumped, _ = newestLiveRecordAtOrBelow(db, rev)
	}
	db.Close()
	v.add(dbSrc, "revision", fmt.Sprintf(">= %d (served)", rev), fmt.Sprint(dirRev))
	if dirRev < rev {
		return v.fail("etcd serves revision %d but %s holds revisions only up to %d: etcd is not serving %s (check --data-dir and the etcd-data volume in %s)",
			rev, c.DataDir, dirRev, c.DataDir, kubeadm.EtcdManifest)
	}
	if bumped > rev {
		// An etcd started on a restore made with --bump-revision serves
		// at least the bumped revision.
		v.add(dbSrc, "revision restored with --bump-revision", fmt.Sprintf("<= %d (served)", rev), fmt.Sprint(bumped))
		return v.fail("etcd serves revision %d but %s was restored to start at revision %d: etcd is not serving %s (check --data-dir and the etcd-data volume in %s)",
			rev, c.DataDir, bumped, c.DataDir, kubeadm.EtcdManifest)
	}
	if rec == nil {
		return v.fail("%s has no record at or below revision %d to compare with what etcd serves", c.DataDir, rev)
	}
	want, err := rec.KeyValue()
	if err != nil {
		return v.fail("%s: %v", dbPath, err)
	}
	out, r := ctl.run(ctx, v, "get", string(want.Key), fmt.Sprintf("--rev=%d", rev), "-w", "json")
	if r != nil {
		return *r
	}
	var got struct {
		KVs []struct {
			Key         string `json:"key"`
			Value       string `json:"value"`
			ModRevision int64  `json:"mod_revision"`
		} `json:"kvs"`
	}
	field := fmt.Sprintf("%s at revision %d (written at %d)", want.Key, rev, rec.Rev.Main)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		return v.err("cannot read etcdctl get output: %s", firstLine(out))
	}
	match := len(got.KVs) == 1 && got.KVs[0].ModRevision == want.ModRevision
	if match {
		val, err := base64.StdEncoding.DecodeString(got.KVs[0].Value)
		match = err == nil && bytes.Equal(val, want.Value)
	}
	if !match {
		v.add(dbSrc, field, "served by etcd", "etcd serves something else")
		return v.fail("etcd does not serve the data in %s: the record at revision %d differs (check --data-dir and the etcd-data volume in %s)",
			c.DataDir, rec.Rev.Main, kubeadm.EtcdManifest)
	}
	v.add(dbSrc, field, "served by etcd", "identical")
	return v.pass("etcd serves the data in %s (revision %d)", c.DataDir, rev)
}

// newestLiveRecordAtOrBelow is the newest record at or below rev whose
// key is not deleted at rev: what etcd answers for that key at rev. It
// also returns the revision of the marker `etcdutl snapshot restore
// --bump-revision` writes (a record with no key), or 0.
func newestLiveRecordAtOrBelow(db *etcddata.DB, rev int64) (*etcddata.Record, int64, error) {
	latest := map[string]etcddata.Rev{}
	var bumped int64
	err := db.ForEachRecord(func(r etcddata.Record) error {
		switch {
		case len(r.Key) == 0:
			bumped = max(bumped, r.Rev.Main)
		case r.Rev.Main <= rev:
			latest[string(r.Key)] = r.Rev
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var best etcddata.Rev
	found := false
	for _, r := range latest {
		if !r.Tombstone && (!found || r.Main > best.Main || r.Main == best.Main && r.Sub > best.Sub) {
			best, found = r, true
		}
	}
	if !found {
		return nil, bumped, nil
	}
	var out *etcddata.Record
	err = db.ForEachRecord(func(r etcddata.Record) error {
		if out == nil && r.Rev == best {
			r.Raw = append([]byte(nil), r.Raw...)
			r.Key = append([]byte(nil), r.Key...)
			out = &r
		}
		return nil
	})
	return out, bumped, err
}

// etcdctl runs etcdctl on the node with the certificates etcd's manifest
// names (kubeadm's paths when the manifest cannot be read).
type etcdctl struct {
	t        Target
	endpoint string
	tlsFlags []string
}

func etcdctlFor(ctx context.Context, t Target, endpoint string, v *verdict) *etcdctl {
	files := map[string]string{
		"--trusted-ca-file": kubeadm.CertFile(kubeadm.EtcdCACertAndKeyBaseName),
		"--cert-file":       kubeadm.CertFile(kubeadm.EtcdServerCertAndKeyBaseName),
		"--key-file":        kubeadm.KeyFile(kubeadm.EtcdServerCertAndKeyBaseName),
	}
	from := "kubeadm's defaults"
	if _, sp, err := findStaticPod(ctx, t.Node, kubeadm.EtcdManifest); err == nil && len(sp.Pod.Spec.Containers) > 0 {
		c := etcdContainer(sp.Pod)
		for flag := range files {
			if vals := FlagValues(*c, flag); len(vals) > 0 {
				files[flag] = vals[len(vals)-1]
				from = kubeadm.EtcdManifest
			}
		}
	}
	v.add(nodeSource(t, kubeadm.EtcdManifest), "client certificates", "", from)
	return &etcdctl{t: t, endpoint: endpoint, tlsFlags: []string{
		"--cacert=" + files["--trusted-ca-file"], "--cert=" + files["--cert-file"], "--key=" + files["--key-file"],
	}}
}

// run runs one etcdctl command. A command that ran and failed means etcd
// did not answer (fail); a command that could not run is an error.
func (e *etcdctl) run(ctx context.Context, v *verdict, args ...string) (string, *Result) {
	argv := append([]string{"etcdctl", "--endpoints=" + e.endpoint, "--dial-timeout=3s", "--command-timeout=5s"}, e.tlsFlags...)
	argv = append(argv, args...)
	var stdout, stderr bytes.Buffer
	err := e.t.Node.Exec(ctx, labs.Command{Args: argv, Stdout: &stdout, Stderr: &stderr})
	if err == nil {
		return stdout.String(), nil
	}
	src := "etcdctl@" + e.t.Node.Name()
	cmd := strings.Join(args[:min(2, len(args))], " ")
	var ee *labs.ExitError
	if !errors.As(err, &ee) || ee.Code == 126 || ee.Code == 127 {
		v.add(src, cmd, "runs", err.Error())
		r := v.err("cannot run etcdctl on node %s: %v", e.t.Node.Name(), err)
		return "", &r
	}
	msg := etcdctlFailure(stdout.String(), stderr.String())
	v.add(src, cmd, "answers", msg)
	if errors.Is(err, fs.ErrPermission) {
		r := v.err("cannot run etcdctl on node %s: %v", e.t.Node.Name(), err)
		return "", &r
	}
	r := v.fail("etcd is not answering at %s: %s", e.endpoint, msg)
	return "", &r
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 200 {
		line = line[:197] + "..."
	}
	return line
}

// etcdSettled says why what etcd serves will not change however long a
// check waits: the node's kubelet reports etcd running since before the
// last change to the manifest it runs (so it runs that manifest as it is
// now), and no other file in the manifests directory defines the etcd pod
// (the next full re-read could let that one win; see otherManifests). It
// returns "" when etcd may still be restarted, or the node does not say.
func etcdSettled(ctx context.Context, t Target) string {
	p, _ := podState(ctx, t, etcdPod)
	if p == nil || !p.Running || p.StartedAt.IsZero() || p.Manifest == "" {
		return ""
	}
	fi, err := t.Node.Stat(ctx, p.Manifest)
	if err != nil || !fi.ModTime().Before(p.StartedAt) {
		return ""
	}
	file, m, err := findStaticPod(ctx, t.Node, p.Manifest)
	if err != nil || len(otherManifests(ctx, t, file, m.Pod)) > 0 {
		return ""
	}
	return fmt.Sprintf("etcd has run %s as it is since %s, and serves the same data until that manifest changes",
		p.Manifest, p.StartedAt.Format(time.TimeOnly))
}

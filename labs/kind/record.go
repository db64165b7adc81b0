package kind

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckat/ckat/labs"
)

// ClusterPrefix starts the name of every kind cluster ckat creates.
const ClusterPrefix = "ckat-"

// clusterRecordFile, in the lab directory, records the kind cluster the
// lab made.
const clusterRecordFile = "kind.json"

// markerPath is the file on the control-plane node container that says
// which ckat lab made the cluster. It lives in the container's own
// filesystem, so it survives stop and start, and `ENGINE cp` reads it
// whether the container runs or not.
const markerPath = "/kind/ckat-lab.json"

// ClusterName is the kind cluster of the lab called lab.
func ClusterName(lab string) string { return ClusterPrefix + lab }

// clusterRecord is what kind.json holds.
type clusterRecord struct {
	Cluster      string `json:"cluster"`
	Config       string `json:"config"`
	Image        string `json:"image"`
	Engine       string `json:"engine"`
	ControlPlane string `json:"controlPlane"`
	Context      string `json:"context"`
	// UID is random per create; the marker on the node repeats it.
	UID string `json:"uid"`
}

// marker is what markerPath holds.
type marker struct {
	Lab string `json:"lab"`
	UID string `json:"uid"`
}

func newClusterRecord(lab, config, image, engine string) clusterRecord {
	var b [16]byte
	_, _ = rand.Read(b[:])
	cluster := ClusterName(lab)
	return clusterRecord{
		Cluster: cluster, Config: config, Image: image, Engine: engine,
		ControlPlane: cluster + "-control-plane", Context: "kind-" + cluster,
		UID: hex.EncodeToString(b[:]),
	}
}

func (r clusterRecord) marker(lab string) marker { return marker{Lab: lab, UID: r.UID} }

func writeClusterRecord(dir string, r clusterRecord) error {
	data, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, clusterRecordFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the lab's kind record: %w", err)
	}
	return nil
}

func readClusterRecord(dir string) (clusterRecord, error) {
	p := filepath.Join(dir, clusterRecordFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return clusterRecord{}, fmt.Errorf("reading the lab's kind record: %w", err)
	}
	var r clusterRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return clusterRecord{}, fmt.Errorf("%s is damaged: %w", p, err)
	}
	return r, nil
}

// readMarkerTar reads the marker from the tar stream `ENGINE cp
// CONTAINER:PATH -` writes.
func readMarkerTar(r io.Reader) (marker, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return marker{}, errors.New("the archive holds no marker file")
			}
			return marker{}, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		var m marker
		if err := json.NewDecoder(io.LimitReader(tr, 1<<16)).Decode(&m); err != nil {
			return marker{}, fmt.Errorf("unreadable marker: %w", err)
		}
		return m, nil
	}
}

// checkOwnership allows deleting the kind cluster of lab only when all
// three agree that ckat made it for this lab: the cluster's name has
// ckat's prefix, the lab's records say kind made it under that name, and
// the marker on the control-plane node names this lab and create.
func checkOwnership(lab string, rec labs.Record, cr clusterRecord, m marker, markerErr error) error {
	refuse := func(why string) error {
		return fmt.Errorf("refusing to delete kind cluster %s: %s; ckat deletes only clusters it created (delete it yourself with 'kind delete cluster --name %s' if you mean to)", cr.Cluster, why, cr.Cluster)
	}
	switch {
	case rec.Provider != ProviderName:
		return fmt.Errorf("lab %q was made by the %s provider, not the kind one", lab, rec.Provider)
	case cr.Cluster != ClusterName(lab) || !strings.HasPrefix(cr.Cluster, ClusterPrefix):
		return refuse(fmt.Sprintf("lab %q records cluster %q, not %q", lab, cr.Cluster, ClusterName(lab)))
	case markerErr != nil:
		return refuse(fmt.Sprintf("cannot read ckat's marker %s on %s: %v", markerPath, cr.ControlPlane, markerErr))
	case m.Lab != lab || m.UID == "" || m.UID != cr.UID:
		return refuse(fmt.Sprintf("ckat's marker on %s names lab %q of another create, not this lab %q", cr.ControlPlane, m.Lab, lab))
	}
	return nil
}

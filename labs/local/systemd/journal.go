package systemd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalFile is where the node's PID 1 keeps the journal: one JSON entry
// a line, under /var so that it outlives a restart of the node, as
// journald's persistent storage in /var/log/journal does.
const JournalFile = "/var/log/journal/ckat.journal"

// journalPath is the journal systemctl and journalctl read; tests change it.
var journalPath = JournalFile

// maxJournal is the size at which the journal is rotated to JournalFile.1.
const maxJournal = 16 << 20

// Entry is one journal record.
type Entry struct {
	Time     time.Time `json:"t"`
	Hostname string    `json:"h"`
	// Ident and PID say who wrote it: "kubelet" and its PID, or
	// "systemd" and 1.
	Ident string `json:"i"`
	PID   int    `json:"p"`
	// Unit is the unit the entry is about (kubelet.service).
	Unit    string `json:"u"`
	Message string `json:"m"`
}

// Journal appends entries to the journal file.
type Journal struct {
	mu   sync.Mutex
	path string
}

// NewJournal returns a journal writing to path.
func NewJournal(path string) *Journal { return &Journal{path: path} }

// Write appends one entry; a journal that cannot be written loses it.
func (j *Journal) Write(e Entry) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Hostname == "" {
		e.Hostname, _ = os.Hostname()
	}
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
		return
	}
	if fi, err := os.Stat(j.path); err == nil && fi.Size() > maxJournal {
		_ = os.Rename(j.path, j.path+".1")
	}
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(append(data, '\n'))
}

// Copy writes each line read from r as an entry of ident[pid] about unit,
// and to also (the node's log), until r ends.
func (j *Journal) Copy(r io.Reader, ident string, pid int, unit string, also io.Writer) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			if also != nil {
				_, _ = io.WriteString(also, line)
			}
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			j.Write(Entry{Ident: ident, PID: pid, Unit: unit, Message: line})
		}
		if err != nil {
			return
		}
	}
}

// ReadJournal returns the entries of the journal at path (its rotated
// part first) for which keep is true.
func ReadJournal(path string, keep func(Entry) bool) ([]Entry, error) {
	var out []Entry
	for _, p := range []string{path + ".1", path} {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the journal: %w", err)
		}
		_, err = scanEntries(f, func(e Entry) {
			if keep(e) {
				out = append(out, e)
			}
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanEntries calls fn for each complete entry in r and returns how many
// bytes the complete lines took.
func scanEntries(r io.Reader, fn func(Entry)) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return n, nil // a partial last line is read next time
		}
		if err != nil {
			return n, fmt.Errorf("reading the journal: %w", err)
		}
		n += int64(len(line))
		var e Entry
		if json.Unmarshal(line, &e) == nil {
			fn(e)
		}
	}
}

// Format is an entry in journalctl's default (short) output:
// "Dec 03 18:40:01 controlplane kubelet[1234]: message".
func (e Entry) Format() string {
	return fmt.Sprintf("%s %s %s[%d]: %s", e.Time.Local().Format("Jan 02 15:04:05"), e.Hostname, e.Ident, e.PID, e.Message)
}

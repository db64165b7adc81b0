package shim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ckat/ckat/internal/crilog"
)

// Container logs are written in the CRI format the kubelet's runtimes use
// (package crilog).

// criLogWriter serialises timestamped lines from a container's stdout and
// stderr into one log file.
type criLogWriter struct {
	mu sync.Mutex
	f  *os.File
	wg sync.WaitGroup
}

// ContainerLogPath is the log of run restart, with its directory made and
// runs older than the previous one removed.
func ContainerLogPath(podDir, container string, restart int) (string, error) {
	path := crilog.ContainerLogPath(podDir, container, restart)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("creating log directory: %w", err)
	}
	if restart >= 2 {
		old, _ := filepath.Glob(filepath.Join(podDir, container, "*.log"))
		for _, o := range old {
			n, err := strconv.Atoi(trimExt(filepath.Base(o)))
			if err == nil && n < restart-1 {
				os.Remove(o)
			}
		}
	}
	return path, nil
}

// createContainerLog creates (or empties) a run's log.
func createContainerLog(path string) (*criLogWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("creating container log: %w", err)
	}
	return &criLogWriter{f: f}, nil
}

func trimExt(name string) string { return name[:len(name)-len(filepath.Ext(name))] }

// pipe returns the write end of a pipe whose lines go to the log tagged
// with stream ("stdout" or "stderr").
func (w *criLogWriter) pipe(stream string) (*os.File, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer r.Close()
		w.copy(stream, r)
	}()
	return wr, nil
}

func (w *criLogWriter) copy(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, crilog.MaxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			tag := crilog.TagPartial
			if line[len(line)-1] == '\n' {
				tag = crilog.TagFull
				line = line[:len(line)-1]
			} else if errors.Is(err, io.EOF) {
				tag = crilog.TagFull
			}
			w.write(stream, tag, line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (w *criLogWriter) write(stream, tag string, msg []byte) {
	buf := crilog.AppendLine(make([]byte, 0, 40+len(stream)+len(msg)), time.Now(), stream, tag, msg)
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.f.Write(buf) // a log line that cannot be written has nowhere to go
}

// close waits up to timeout for the streams to drain (a child that kept
// them open is not waited for) and closes the file.
func (w *criLogWriter) close(timeout time.Duration) {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.f.Close()
}

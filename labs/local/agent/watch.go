package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckat/ckat/internal/log"
)

// The kubelet's watch retry periods (pkg/kubelet/config/file_linux.go):
// a failed watch is set up again after retryPeriod, backing off up to
// maxRetryPeriod unless the directory was merely missing.
const (
	retryPeriod    = 1 * time.Second
	maxRetryPeriod = 20 * time.Second
)

// eventBufferLen is how many watch events wait to be consumed, as the
// kubelet's file source buffers them (pkg/kubelet/config/file.go).
const eventBufferLen = 10

// errDirMissing is a watch that could not start because the directory is
// not there; it is retried without backing off.
var errDirMissing = errors.New("path does not exist, ignoring")

// watchDir watches dir with inotify and sends every event to events until
// ctx is done, as the kubelet's startWatch and doWatch do
// (pkg/kubelet/config/file_linux.go): one fsnotify watcher on the
// directory itself; when the directory is missing or the watch fails, it
// is set up again after retryPeriod, backing off to maxRetryPeriod on
// errors other than a missing directory. Events between two watches are
// lost, as on the kubelet; the next re-read catches up. started is
// called once, when the first watch is set up or has failed to be.
func watchDir(ctx context.Context, dir string, events chan<- fsnotify.Event, logger *log.Logger, started func()) {
	backoff := retryPeriod
	var once sync.Once
	for {
		err := watchOnce(ctx, dir, events, func() { once.Do(started) })
		once.Do(started)
		if ctx.Err() != nil {
			return
		}
		wait := retryPeriod
		if !errors.Is(err, errDirMissing) {
			logger.Errorf("\"Unable to read config path\" err=%q path=%q", err.Error(), dir)
			wait, backoff = backoff, min(2*backoff, maxRetryPeriod)
		} else {
			backoff = retryPeriod
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// watchOnce is one doWatch: it calls watching once the watch is set up,
// and returns when the watch fails or ctx is done.
func watchOnce(ctx context.Context, dir string, events chan<- fsnotify.Event, watching func()) error {
	if _, err := os.Stat(dir); err != nil {
		if os.IsNotExist(err) {
			return errDirMissing
		}
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("unable to create inotify: %w", err)
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("unable to create inotify for path %q: %w", dir, err)
	}
	watching()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Events:
			if !ok {
				return fmt.Errorf("the watch of %q closed", dir)
			}
			select {
			case events <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return fmt.Errorf("the watch of %q closed", dir)
			}
			return fmt.Errorf("error while watching %q: %w", dir, err)
		}
	}
}

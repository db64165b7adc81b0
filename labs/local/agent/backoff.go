package agent

import "time"

// The kubelet's container restart back-off.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	// backoffReset: a container that ran this long starts its back-off over.
	backoffReset = 10 * time.Minute
)

// backoff is a container's restart back-off. The first restart after an
// exit is immediate; each further one waits 10 s, then twice as long as
// the last, up to 5 minutes. A run of 10 minutes or more starts over.
type backoff struct {
	next time.Duration // wait before the next restart; 0 at first
}

// exited records that a container exited after running for ran, and
// returns how long to wait before starting it again.
func (b *backoff) exited(ran time.Duration) time.Duration {
	if ran >= backoffReset {
		b.next = 0
	}
	wait := b.next
	switch {
	case b.next == 0:
		b.next = backoffInitial
	case b.next*2 > backoffMax:
		b.next = backoffMax
	default:
		b.next *= 2
	}
	return wait
}

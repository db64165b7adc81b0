package selftest

import (
	"sort"
	"sync"
)

// labSlots are the labs selftest may run at once, shared by the
// scenarios it runs together. A free slot goes to the waiting request of
// highest priority (the earliest among equals), so that the scenarios
// with the most cases get their first labs, and then more labs, before
// small ones: the longest scenario decides when selftest ends.
type labSlots struct {
	mu      sync.Mutex
	free    int
	arrived int
	waiting []*slotWait
}

type slotWait struct {
	priority float64
	arrived  int
	granted  chan struct{}
}

func newLabSlots(n int) *labSlots { return &labSlots{free: max(n, 1)} }

// acquire waits for a slot and reports whether it got one; it gives up,
// returning false, when cancel is closed first.
func (p *labSlots) acquire(priority float64, cancel <-chan struct{}) bool {
	p.mu.Lock()
	if p.free > 0 && len(p.waiting) == 0 {
		p.free--
		p.mu.Unlock()
		return true
	}
	p.arrived++
	w := &slotWait{priority: priority, arrived: p.arrived, granted: make(chan struct{})}
	i := sort.Search(len(p.waiting), func(i int) bool {
		o := p.waiting[i]
		return o.priority < w.priority || o.priority == w.priority && o.arrived > w.arrived
	})
	p.waiting = append(p.waiting, nil)
	copy(p.waiting[i+1:], p.waiting[i:])
	p.waiting[i] = w
	p.mu.Unlock()
	select {
	case <-w.granted:
		return true
	case <-cancel:
	}
	p.mu.Lock()
	for i, o := range p.waiting {
		if o == w {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			p.mu.Unlock()
			return false
		}
	}
	p.mu.Unlock()
	// Granted meanwhile: hand it on.
	p.release()
	return false
}

// release frees a slot for the next request.
func (p *labSlots) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiting) > 0 {
		w := p.waiting[0]
		p.waiting = p.waiting[1:]
		close(w.granted)
		return
	}
	p.free++
}

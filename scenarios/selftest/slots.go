package selftest

import (
	"sort"
	"sync"
)

// labSlots are the labs selftest may run at once, shared by the
// scenarios it runs together. A free slot goes to the waiting request of
// highest priority (the earliest among equals), so that the scenarios
// with the most cases get their first labs, and then more labs, before
// small ones: the longest scenario decides when selftest ends. While held,
// no slot is given, so that every first request can be made before the
// first slot goes.
type labSlots struct {
	mu      sync.Mutex
	free    int
	held    bool
	arrived int
	waiting []*slotTicket
}

// slotTicket is one request for a slot.
type slotTicket struct {
	p        *labSlots
	priority float64
	arrived  int
	granted  chan struct{}
}

func newLabSlots(n int) *labSlots { return &labSlots{free: max(n, 1)} }

// request asks for a slot; wait then waits for it.
func (p *labSlots) request(priority float64) *slotTicket {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.arrived++
	t := &slotTicket{p: p, priority: priority, arrived: p.arrived, granted: make(chan struct{})}
	i := sort.Search(len(p.waiting), func(i int) bool {
		o := p.waiting[i]
		return o.priority < t.priority || o.priority == t.priority && o.arrived > t.arrived
	})
	p.waiting = append(p.waiting, nil)
	copy(p.waiting[i+1:], p.waiting[i:])
	p.waiting[i] = t
	p.grant()
	return t
}

// wait waits for the slot and reports whether it got it; it gives up,
// returning false, when cancel is closed first.
func (t *slotTicket) wait(cancel <-chan struct{}) bool {
	select {
	case <-t.granted:
		return true
	case <-cancel:
	}
	p := t.p
	p.mu.Lock()
	for i, o := range p.waiting {
		if o == t {
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

// hold keeps every slot until open.
func (p *labSlots) hold() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

// open gives the free slots to the waiting requests.
func (p *labSlots) open() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = false
	p.grant()
}

// release frees a slot for the next request.
func (p *labSlots) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free++
	p.grant()
}

// grant gives free slots to the first waiting requests; p.mu is held.
func (p *labSlots) grant() {
	for !p.held && p.free > 0 && len(p.waiting) > 0 {
		t := p.waiting[0]
		p.waiting = p.waiting[1:]
		p.free--
		close(t.granted)
	}
}

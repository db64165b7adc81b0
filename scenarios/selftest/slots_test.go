package selftest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// granted says whether a request has its slot, without waiting.
func granted(t *slotTicket) bool {
	select {
	case <-t.granted:
		return true
	default:
		return false
	}
}

// A free slot goes to the waiting request of highest priority, the
// earliest among equals; a request given up leaves the queue.
func TestLabSlotsByPriority(t *testing.T) {
	p := newLabSlots(1)
	require.True(t, p.request(1).wait(nil))
	small, big, cancelled, bigSecond, bigEqual := p.request(3), p.request(15), p.request(20), p.request(7.5), p.request(15)
	gone := make(chan struct{})
	close(gone)
	require.False(t, cancelled.wait(gone), "given up")
	order := []*slotTicket{big, bigEqual, bigSecond, small}
	for k := range order {
		p.release()
		require.True(t, granted(order[k]), "release %d", k+1)
		for _, later := range order[k+1:] {
			require.False(t, granted(later), "release %d gave a second slot", k+1)
		}
	}
	p.release()
	require.True(t, p.request(1).wait(nil), "the slot released last is free")
}

// While held, requests queue up whatever is free; open gives the free
// slots by priority.
func TestLabSlotsHeld(t *testing.T) {
	p := newLabSlots(2)
	p.hold()
	small, big, middle := p.request(1), p.request(9), p.request(5)
	for _, tk := range []*slotTicket{small, big, middle} {
		require.False(t, granted(tk), "a slot was given while held")
	}
	p.open()
	require.True(t, granted(big))
	require.True(t, granted(middle))
	require.False(t, granted(small))
	gone := make(chan struct{})
	close(gone)
	require.False(t, small.wait(gone), "no slot left for the smallest")
	p.release()
	require.True(t, p.request(1).wait(nil))
}

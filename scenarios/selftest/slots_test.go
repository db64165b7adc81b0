package selftest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A free slot goes to the waiting request of highest priority, the
// earliest among equals; a request given up leaves the queue.
func TestLabSlotsByPriority(t *testing.T) {
	p := newLabSlots(1)
	require.True(t, p.acquire(1, nil))
	order := make(chan string, 4)
	never := make(chan struct{})
	start := func(name string, priority float64, cancel chan struct{}) {
		go func() {
			if p.acquire(priority, cancel) {
				order <- name
				return
			}
			order <- name + " gave up"
		}()
		time.Sleep(20 * time.Millisecond) // queued in this order
	}
	gone := make(chan struct{})
	start("small", 3, never)
	start("big", 15, never)
	start("cancelled", 20, gone)
	start("big's second lab", 7.5, never)
	close(gone)
	require.Equal(t, "cancelled gave up", <-order)
	for _, want := range []string{"big", "big's second lab", "small"} {
		p.release()
		require.Equal(t, want, <-order)
	}
	p.release()
	require.True(t, p.acquire(1, never), "the slot released last is free")
}

// While held, requests queue up whatever is free; open gives the free
// slots by priority.
func TestLabSlotsHeld(t *testing.T) {
	p := newLabSlots(2)
	p.hold()
	small, big, middle := p.request(1), p.request(9), p.request(5)
	for _, tk := range []*slotTicket{small, big, middle} {
		select {
		case <-tk.granted:
			t.Fatal("a slot was given while held")
		default:
		}
	}
	p.open()
	require.True(t, big.wait(nil))
	require.True(t, middle.wait(nil))
	gone := make(chan struct{})
	close(gone)
	require.False(t, small.wait(gone), "no slot left for the smallest")
	p.release()
	require.True(t, p.acquire(1, nil))
}

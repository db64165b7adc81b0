package selftest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Another lab is made for a scenario's cases only while the queued cases
// would keep its labs busy for longer than making a lab takes.
func TestAnotherLabPays(t *testing.T) {
	load := func(queued, labs int, setup time.Duration, finished ...time.Duration) *caseLoad {
		l := &caseLoad{queue: make(chan int, queued), labs: labs, setup: setup}
		for i := range queued {
			l.queue <- i
		}
		for _, d := range finished {
			l.done(d)
		}
		return l
	}
	const setup = 20 * time.Second

	require.False(t, load(1, 1, setup).another(), "one queued case: the lab there takes it")
	require.False(t, load(2, 1, setup).another(), "before any case finished, two queued cases for one lab")
	l := load(3, 1, setup)
	require.True(t, l.another(), "before any case finished, three queued cases a lab")
	require.Equal(t, 2, l.labs)
	require.False(t, l.another(), "three queued cases for two labs")
	l.gone()
	require.Equal(t, 1, l.labs)

	// Restore cases of 35 s: six of them keep one lab busy 210 s.
	require.True(t, load(6, 1, setup, 35*time.Second, 35*time.Second).another())
	require.True(t, load(6, 3, setup, 35*time.Second).another())
	// Backup cases of 2 s: done sooner on the lab there is than a new
	// lab is made.
	require.False(t, load(6, 1, setup, 2*time.Second, 3*time.Second).another())
	require.False(t, load(2, 2, setup, 15*time.Second).another(), "two cases of 15 s for two labs")
}

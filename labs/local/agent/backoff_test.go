package agent

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffSchedule(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		ran  []time.Duration // how long each run lasted
		want []time.Duration // wait before each restart
	}{
		{"crash loop doubles to five minutes",
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0},
			[]time.Duration{0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s, 300 * s}},
		{"a run of ten minutes starts over",
			[]time.Duration{0, 0, 0, 10 * time.Minute, 0},
			[]time.Duration{0, 10 * s, 20 * s, 0, 10 * s}},
		{"a shorter run keeps the back-off",
			[]time.Duration{0, 0, 9 * time.Minute},
			[]time.Duration{0, 10 * s, 20 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b backoff
			var got []time.Duration
			for _, r := range tt.ran {
				got = append(got, b.exited(r))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

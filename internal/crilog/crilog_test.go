package crilog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopyCRILog(t *testing.T) {
	tests := []struct {
		name string
		in   string
		tail int
		want string
	}{
		{"full lines from both streams",
			"2026-11-23T20:00:00.1Z stdout F hello\n2026-11-23T20:00:00.2Z stderr F world\n", -1,
			"hello\nworld\n"},
		{"partial lines are joined",
			"2026-11-23T20:00:00.1Z stdout P abc\n2026-11-23T20:00:00.2Z stdout F def\n", -1,
			"abcdef\n"},
		{"empty message",
			"2026-11-23T20:00:00.1Z stdout F \n2026-11-23T20:00:00.1Z stdout F\n", -1,
			"\n\n"},
		{"message with spaces kept",
			"2026-11-23T20:00:00.1Z stderr F a  b c\n", -1,
			"a  b c\n"},
		{"a line not in the format is printed as is",
			"not a cri line\n", -1,
			"not a cri line\n"},
		{"tail",
			"t stdout F 1\nt stdout F 2\nt stdout P 3\nt stdout F 3\n", 2,
			"2\n33\n"},
		{"tail 0", "t stdout F 1\n", 0, ""},
		{"unterminated partial at the end",
			"t stdout F 1\nt stdout P 2", -1,
			"1\n2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			require.NoError(t, Copy(strings.NewReader(tt.in), &out, tt.tail))
			require.Equal(t, tt.want, out.String())
		})
	}
}

func TestPodNameOfDir(t *testing.T) {
	tests := map[string]string{
		"/var/log/pods/kube-system_etcd-controlplane_7a91ad420219c4170d79f4c6ac39ae0b": "etcd-controlplane",
		"default_web-controlplane_abc": "web-controlplane",
		"stray":                        "",
		"a_b":                          "",
	}
	for in, want := range tests {
		require.Equal(t, want, PodNameOfDir(in), in)
	}
}

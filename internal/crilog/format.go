// Package crilog reads and writes container logs as the kubelet keeps
// them: one file per container run under /var/log/pods, each line in the
// CRI log format "TIMESTAMP STREAM TAG MESSAGE" (TAG F ends a line, P is a
// part of a longer one). The node agent writes them; `ckat logs` and a
// lab's diagnostics read them, whatever the provider.
package crilog

import (
	"bufio"
	"io"
	"strings"
	"time"
)

// The streams and tags of a CRI log line, as k8s.io/cri-api's
// runtime/v1 LogStreamType and LogTag name them.
const (
	Stdout     = "stdout"
	Stderr     = "stderr"
	TagFull    = "F"
	TagPartial = "P"
)

// MaxLine is the longest piece a writer puts on one log line; longer lines
// are split into partial (P) lines, as containerd does.
const MaxLine = 16 * 1024

// AppendLine appends one CRI log line for msg (without its newline) to
// buf: the time in RFC 3339 with nanoseconds, the stream, the tag.
func AppendLine(buf []byte, t time.Time, stream, tag string, msg []byte) []byte {
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, ' ')
	buf = append(buf, stream...)
	buf = append(buf, ' ')
	buf = append(buf, tag...)
	buf = append(buf, ' ')
	buf = append(buf, msg...)
	return append(buf, '\n')
}

// ParseLine splits a CRI log line (without its newline) into its message
// and whether it ends a line; a line not in the format is its own
// message. The kubelet's reader is parseCRILog in k8s.io/cri-client's
// pkg/logs.
func ParseLine(line string) (msg string, full bool) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 3 || (f[1] != Stdout && f[1] != Stderr) || (f[2] != TagFull && f[2] != TagPartial) {
		return line, true
	}
	if len(f) == 4 {
		msg = f[3]
	}
	return msg, f[2] == TagFull
}

// Copy writes the messages of the CRI log r to w, as `kubectl logs`
// prints them: partial lines joined, without the timestamps and stream
// tags. tail >= 0 keeps only the last tail lines.
func Copy(r io.Reader, w io.Writer, tail int) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var ring []string
	out := bufio.NewWriter(w)
	emit := func(s string) {
		if tail < 0 {
			_, _ = out.WriteString(s)
			return
		}
		ring = append(ring, s)
		if len(ring) > tail {
			ring = ring[1:]
		}
	}
	var partial strings.Builder
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			msg, full := ParseLine(strings.TrimSuffix(line, "\n"))
			partial.WriteString(msg)
			if full {
				partial.WriteByte('\n')
				emit(partial.String())
				partial.Reset()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if partial.Len() > 0 {
		emit(partial.String())
	}
	for _, s := range ring {
		_, _ = out.WriteString(s)
	}
	return out.Flush()
}

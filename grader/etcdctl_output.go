package grader

import (
	"encoding/json"
	"strings"
)

// etcdctlFailure condenses what a failed etcdctl printed into one line a
// learner can act on: its "Error:" line, the endpoint's own error from
// -w json output, and the dial or TLS error its client logged underneath,
// e.g. "unhealthy cluster: context deadline exceeded: dial tcp
// 127.0.0.1:2379: connect: connection refused". etcdctl's other log lines
// (warnings about environment variables, retries) are left out; output
// with none of these parts falls back to its first line.
func etcdctlFailure(stdout, stderr string) string {
	var parts []string
	addPart := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		for _, p := range parts {
			if strings.Contains(p, s) {
				return
			}
		}
		parts = append(parts, s)
	}
	var cause string
	var plain []string
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		var logLine struct {
			Level string `json:"level"`
			Error string `json:"error"`
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "Error: "):
			addPart(strings.TrimPrefix(line, "Error: "))
		case strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &logLine) == nil && logLine.Level != "":
			if c := dialCause(logLine.Error); c != "" {
				cause = c
			}
		default:
			plain = append(plain, line)
		}
	}
	var health []struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(strings.TrimSpace(stdout)), &health) == nil {
		for _, h := range health {
			addPart(h.Error)
		}
	}
	addPart(cause)
	if len(parts) == 0 {
		parts = plain
	}
	if len(parts) == 0 {
		return firstLine(stderr + "\n" + stdout)
	}
	return firstLine(strings.Join(parts, ": "))
}

// dialCause digs the innermost reason out of a gRPC client error such as
// `rpc error: code = Unavailable desc = connection error: desc =
// "transport: Error while dialing: dial tcp 127.0.0.1:2379: connect:
// connection refused"`.
func dialCause(grpcErr string) string {
	for _, marker := range []string{"Error while dialing: ", "authentication handshake failed: "} {
		if _, after, ok := strings.Cut(grpcErr, marker); ok {
			return strings.TrimRight(after, `"\ `)
		}
	}
	return ""
}

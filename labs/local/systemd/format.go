package systemd

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// exitName is systemd's name of an exit status (exit_status_to_string).
func exitName(code int) string {
	names := map[int]string{0: "SUCCESS", 1: "FAILURE", 2: "INVALIDARGUMENT", 3: "NOTIMPLEMENTED",
		4: "NOPERMISSION", 5: "NOTINSTALLED", 6: "NOTCONFIGURED", 7: "NOTRUNNING", 203: "EXEC"}
	if n, ok := names[code]; ok {
		return n
	}
	return "n/a"
}

// signalName is a signal's name without SIG: "KILL".
func signalName(sig unix.Signal) string {
	return strings.TrimPrefix(unix.SignalName(sig), "SIG")
}

// signalNumber turns "KILL" into "9/KILL".
func signalNumber(name string) string {
	if sig := unix.SignalNum("SIG" + name); sig != 0 {
		return fmt.Sprintf("%d/%s", int(sig), name)
	}
	return name
}

// formatSpan is systemd's format_timespan: "2h 3min 4.567s", "123ms".
func formatSpan(d time.Duration, accuracy time.Duration) string {
	d = d.Round(accuracy)
	if d <= 0 {
		return "0"
	}
	units := []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"min", time.Minute}}
	var parts []string
	for _, u := range units {
		if d >= u.d {
			parts = append(parts, fmt.Sprintf("%d%s", d/u.d, u.name))
			d %= u.d
		}
	}
	switch {
	case d >= time.Second:
		s := fmt.Sprintf("%d", d/time.Second)
		if ms := (d % time.Second) / time.Millisecond; ms > 0 {
			s += strings.TrimRight(fmt.Sprintf(".%03d", ms), "0")
		}
		parts = append(parts, s+"s")
	case d >= time.Millisecond:
		parts = append(parts, fmt.Sprintf("%dms", d/time.Millisecond))
	case d > 0 && len(parts) == 0:
		parts = append(parts, fmt.Sprintf("%dus", d/time.Microsecond))
	}
	return strings.Join(parts, " ")
}

// formatAgo is systemd's format_timestamp_relative: "3s ago",
// "1min 5s ago", "2h 3min ago", "1 day 2h ago", "3 days ago".
func formatAgo(t, now time.Time) string {
	d := now.Sub(t)
	if d <= 0 {
		return "now"
	}
	day := 24 * time.Hour
	switch {
	case d >= 2*day:
		return fmt.Sprintf("%d days ago", d/day)
	case d >= 25*time.Hour:
		return fmt.Sprintf("1 day %dh ago", (d-day)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dmin ago", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= 5*time.Minute:
		return fmt.Sprintf("%dmin ago", d/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dmin %ds ago", d/time.Minute, (d%time.Minute)/time.Second)
	case d >= time.Second:
		return fmt.Sprintf("%ds ago", d/time.Second)
	default:
		return fmt.Sprintf("%dms ago", d/time.Millisecond)
	}
}

// formatTimestamp is systemd's timestamp: "Thu 2026-12-03 18:40:01 UTC".
func formatTimestamp(t time.Time) string {
	return t.Local().Format("Mon 2006-01-02 15:04:05 MST")
}

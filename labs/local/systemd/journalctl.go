package systemd

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// followPoll is how often journalctl -f looks for new entries.
var followPoll = 250 * time.Millisecond

// Journalctl is `journalctl ARGS` on the node, reading JournalFile; it
// returns the exit status. It follows with -f until it is killed.
func Journalctl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("journalctl", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	units := fs.StringArrayP("unit", "u", nil, "")
	idents := fs.StringArrayP("identifier", "t", nil, "")
	follow := fs.BoolP("follow", "f", false, "")
	lines := fs.IntP("lines", "n", -1, "")
	since := fs.StringP("since", "S", "", "")
	until := fs.StringP("until", "U", "", "")
	end := fs.BoolP("pager-end", "e", false, "")
	reverse := fs.BoolP("reverse", "r", false, "")
	output := fs.StringP("output", "o", "short", "")
	fs.StringP("boot", "b", "", "")
	fs.Lookup("boot").NoOptDefVal = "0"
	for _, f := range []struct{ long, short string }{{"no-pager", ""}, {"catalog", "x"}, {"full", "l"}, {"all", "a"}, {"quiet", "q"}, {"no-hostname", ""}} {
		fs.BoolP(f.long, f.short, false, "")
	}
	if err := fs.Parse(normalizeLines(args)); err != nil {
		fmt.Fprintf(stderr, "journalctl: %v\n", err)
		return exitFailure
	}
	if len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "journalctl: matches such as %q are not supported on this node; use -u UNIT\n", fs.Args()[0])
		return exitFailure
	}
	if *output != "short" && *output != "cat" {
		fmt.Fprintf(stderr, "journalctl: output mode %q is not supported on this node (short, cat)\n", *output)
		return exitFailure
	}
	now := nowFunc()
	var from, to time.Time
	var err error
	if *since != "" {
		if from, err = ParseTimestamp(*since, now); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	if *until != "" {
		if to, err = ParseTimestamp(*until, now); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	for i, u := range *units {
		(*units)[i] = unitName(u)
	}
	keep := func(e Entry) bool {
		if len(*units) > 0 && !contains(*units, e.Unit) {
			return false
		}
		if len(*idents) > 0 && !contains(*idents, e.Ident) {
			return false
		}
		return (from.IsZero() || !e.Time.Before(from)) && (to.IsZero() || !e.Time.After(to))
	}
	format := func(e Entry) string {
		if *output == "cat" {
			return e.Message
		}
		return e.Format()
	}
	entries, err := ReadJournal(journalPath, keep)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	n := *lines
	if n < 0 && *follow {
		n = 10
	}
	if n < 0 && *end {
		n = 1000
	}
	if n >= 0 && len(entries) > n {
		entries = entries[len(entries)-n:]
	}
	if *reverse {
		for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
			entries[i], entries[j] = entries[j], entries[i]
		}
	}
	if len(entries) == 0 && !*follow {
		fmt.Fprintln(stdout, "-- No entries --")
		return exitOK
	}
	for _, e := range entries {
		fmt.Fprintln(stdout, format(e))
	}
	if *follow {
		followJournal(journalPath, keep, func(e Entry) { fmt.Fprintln(stdout, format(e)) })
	}
	return exitOK
}

// normalizeLines gives a bare -n or --lines journalctl's default of 10.
func normalizeLines(args []string) []string {
	out := make([]string, 0, len(args)+1)
	for i, a := range args {
		out = append(out, a)
		if a == "-n" || a == "--lines" {
			if i+1 >= len(args) {
				out = append(out, "10")
			} else if _, err := strconv.Atoi(args[i+1]); err != nil {
				out = append(out, "10")
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// followJournal prints entries appended to the journal from now on.
func followJournal(path string, keep func(Entry) bool, print func(Entry)) {
	var offset int64
	if fi, err := os.Stat(path); err == nil {
		offset = fi.Size()
	}
	for {
		time.Sleep(followPoll)
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if fi.Size() < offset {
			offset = 0 // rotated
		}
		if fi.Size() == offset {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if _, err := f.Seek(offset, io.SeekStart); err == nil {
			n, _ := scanEntries(f, func(e Entry) {
				if keep(e) {
					print(e)
				}
			})
			offset += n
		}
		f.Close()
	}
}

var relativeTime = regexp.MustCompile(`^([+-]?)\s*(\d+)\s*([a-z]*)\s*(ago|left)?$`)

// ParseTimestamp reads a --since or --until value as journalctl does
// (systemd.time(7)): "2026-12-03 18:40:01", "2026-12-03", "18:40",
// "today", "yesterday", "now", "10 min ago", "-1h".
func ParseTimestamp(s string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(s)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	switch v {
	case "now":
		return now, nil
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	case "tomorrow":
		return midnight.AddDate(0, 0, 1), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return midnight.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second), nil
		}
	}
	if m := relativeTime.FindStringSubmatch(v); m != nil && (m[1] != "" || m[4] != "") {
		n, _ := strconv.Atoi(m[2])
		unit, ok := spanUnit(m[3])
		if ok {
			d := time.Duration(n) * unit
			if m[1] == "-" || m[4] == "ago" {
				return now.Add(-d), nil
			}
			return now.Add(d), nil
		}
	}
	return time.Time{}, fmt.Errorf("Failed to parse timestamp: %s", s)
}

// spanUnit is the length of a systemd time span unit.
func spanUnit(u string) (time.Duration, bool) {
	switch u {
	case "", "s", "sec", "second", "seconds":
		return time.Second, true
	case "ms", "msec":
		return time.Millisecond, true
	case "m", "min", "minute", "minutes":
		return time.Minute, true
	case "h", "hr", "hour", "hours":
		return time.Hour, true
	case "d", "day", "days":
		return 24 * time.Hour, true
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, true
	}
	return 0, false
}

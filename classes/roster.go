package classes

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseRoster reads a roster: one learner name per line; blank lines and
// lines starting with '#' are skipped, and surrounding spaces trimmed.
// Every unsafe or duplicate name is reported with its line number, all at
// once, and no name is returned then.
func ParseRoster(r io.Reader) ([]string, error) {
	var names, problems []string
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		name := strings.TrimSpace(sc.Text())
		if name == "" || strings.HasPrefix(name, "#") {
			continue
		}
		if err := ValidateLearnerName(name); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		if first, dup := seen[name]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %q is already on line %d", n, name, first))
			continue
		}
		seen[name] = n
		names = append(names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	if len(problems) > 0 {
		return nil, errors.New("the roster has unusable names:\n  " + strings.Join(problems, "\n  "))
	}
	if len(names) == 0 {
		return nil, errors.New("the roster names no learner")
	}
	return names, nil
}

// NumberedLearners returns n learner names learner-01, learner-02, ...
// (as many digits as n needs, at least two).
func NumberedLearners(n int) []string {
	width := max(len(fmt.Sprint(n)), 2)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("learner-%0*d", width, i+1)
	}
	return out
}

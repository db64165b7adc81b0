package scenarios

import (
	"strings"

	"github.com/ckat/ckat/grader"
)

// checkTypeNames are the YAML names of the grader's check types.
func checkTypeNames() []string {
	var names []string
	for _, ct := range grader.CheckTypes() {
		names = append(names, ct.Name())
	}
	return names
}

// checkSpecProblem says what is wrong with a check's shape, or "".
func checkSpecProblem(c Check) string {
	if c.Name == "" {
		return `missing required field "name"`
	}
	if !itemNameRE.MatchString(c.Name) {
		return "check name " + quote(c.Name) + ": use lowercase letters, digits and '-'"
	}
	switch set := c.SetTypes(); {
	case len(set) == 0:
		return "check " + quote(c.Name) + " has no type: set one of " + strings.Join(checkTypeNames(), ", ")
	case len(set) > 1:
		return "check " + quote(c.Name) + " sets " + strings.Join(set, " and ") + ": a check tests exactly one thing"
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }

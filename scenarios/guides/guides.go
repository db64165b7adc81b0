// Package guides holds the learner's guide for each built-in scenario:
// the background a task needs and how to work through it, in Markdown.
// They are embedded so that a ckat binary carries them.
package guides

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.md
var files embed.FS

// Path is a guide's path in ckat's source tree.
func Path(scenario string) string { return "scenarios/guides/" + scenario + ".md" }

// Get returns the guide of a scenario.
func Get(scenario string) ([]byte, error) {
	data, err := files.ReadFile(scenario + ".md")
	if err != nil {
		return nil, fmt.Errorf("no guide for scenario %q (guides exist for: %s)", scenario, strings.Join(Names(), ", "))
	}
	return data, nil
}

// Has reports whether a scenario has a guide.
func Has(scenario string) bool {
	_, err := files.ReadFile(scenario + ".md")
	return err == nil
}

// Names lists the scenarios that have a guide, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".md"))
	}
	sort.Strings(out)
	return out
}

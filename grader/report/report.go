// Package report writes a graded lab for people (Text), for programs (JSON)
// and for CI systems (JUnit XML).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/ckat/ckat/grader"
)

// ANSI colors; used only when the caller asks for color.
const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// Text writes rep for a terminal: a line per check with its mark (✔ pass,
// ✘ fail, ! could not check) and points; a check that did not pass is
// followed by its evidence (want/got) and hint; then the score. color adds
// ANSI colors; the command decides (a terminal, NO_COLOR unset).
func Text(w io.Writer, rep grader.Report, color bool) error {
	p := &printer{w: w, color: color}
	title := rep.Scenario
	if title == "" {
		title = "checks"
	}
	if rep.Lab != "" {
		title += " on lab " + rep.Lab
	}
	if stage := commonStage(rep.Checks); stage != "" {
		title += ", stage " + stage
	}
	p.line(p.paint(bold, Clean(title)))
	p.line("")
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len([]rune(Clean(c.Name))))
	}
	for _, c := range rep.Checks {
		mark, col := markOf(c.Status)
		name := Clean(c.Name)
		pad := strings.Repeat(" ", width-len([]rune(name)))
		p.line(fmt.Sprintf("%s %s%s  %d/%d  %s", p.paint(col, mark), name, pad, c.Points, c.MaxPoints, Clean(c.Message)))
		if c.Status == grader.StatusPass {
			continue
		}
		for _, e := range c.Evidence {
			p.line(fmt.Sprintf("    %s: %s", Clean(e.Source), Clean(e.Field)))
			if e.Want != "" {
				p.line("      want: " + Clean(e.Want))
			}
			p.line("      got:  " + p.paint(col, Clean(e.Got)))
		}
		if c.Hint != "" {
			p.line("    hint: " + Clean(c.Hint))
		}
	}
	p.line("")
	verdict, col := "not passed", red
	if rep.Passed {
		verdict, col = "passed", green
	}
	pct := 0
	if rep.MaxScore > 0 {
		pct = rep.Score * 100 / rep.MaxScore
	}
	p.line(p.paint(col, fmt.Sprintf("Score: %d/%d (%d%%), %s", rep.Score, rep.MaxScore, pct, verdict)))
	return p.err
}

type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) line(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s+"\n")
	}
}

func (p *printer) paint(col, s string) string {
	if !p.color {
		return s
	}
	return col + s + reset
}

func markOf(s grader.Status) (string, string) {
	switch s {
	case grader.StatusPass:
		return "✔", green
	case grader.StatusFail:
		return "✘", red
	default:
		return "!", yellow
	}
}

// commonStage is the stage every check shares, or "".
func commonStage(checks []grader.Result) string {
	if len(checks) == 0 {
		return ""
	}
	for _, c := range checks[1:] {
		if c.Stage != checks[0].Stage {
			return ""
		}
	}
	return checks[0].Stage
}

// Clean keeps a value read from a lab (a file's text, an error) from
// breaking the report's lines or driving the terminal: newlines and tabs
// become spaces, other control characters U+FFFD.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

// jsonReport fixes the JSON shape: every key always present.
type jsonReport struct {
	Scenario string      `json:"scenario"`
	Lab      string      `json:"lab"`
	Score    int         `json:"score"`
	MaxScore int         `json:"maxScore"`
	Passed   bool        `json:"passed"`
	Checks   []jsonCheck `json:"checks"`
}

type jsonCheck struct {
	Name      string            `json:"name"`
	Stage     string            `json:"stage"`
	Status    grader.Status     `json:"status"`
	Points    int               `json:"points"`
	MaxPoints int               `json:"maxPoints"`
	Message   string            `json:"message"`
	Evidence  []grader.Evidence `json:"evidence"`
	Hint      string            `json:"hint"`
}

// JSON writes rep as one indented JSON document: {"scenario", "lab",
// "score", "maxScore", "passed", "checks": [{"name", "stage", "status",
// "points", "maxPoints", "message", "evidence": [{"source", "field",
// "want", "got"}], "hint"}]}, with every key present.
func JSON(w io.Writer, rep grader.Report) error {
	out := jsonReport{Scenario: rep.Scenario, Lab: rep.Lab, Score: rep.Score, MaxScore: rep.MaxScore,
		Passed: rep.Passed, Checks: make([]jsonCheck, 0, len(rep.Checks))}
	for _, c := range rep.Checks {
		ev := c.Evidence
		if ev == nil {
			ev = []grader.Evidence{}
		}
		out.Checks = append(out.Checks, jsonCheck{Name: c.Name, Stage: c.Stage, Status: c.Status, Points: c.Points,
			MaxPoints: c.MaxPoints, Message: c.Message, Evidence: ev, Hint: c.Hint})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

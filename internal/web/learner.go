package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/scenarios/session"
)

// learnerPage is the learner's page: the task, the terminal, the buttons.
func (s *Server) learnerPage(w http.ResponseWriter, r *http.Request, c *classes.Class, l classes.Learner) {
	data := map[string]any{"Class": c.Name, "Learner": l}
	if sess, err := c.Session(r.Context(), l.Name, s.opts.Logger); err != nil {
		s.opts.Logger.Warnf("task of lab %s: %v", l.Lab, err)
		data["Error"] = "Your lab cannot be reached right now; tell your instructor."
	} else {
		data["Stage"] = stageOf(sess)
	}
	s.render(w, "learner.html", data)
}

// learnerTerminal is the learner's terminal on their own lab's node.
func (s *Server) learnerTerminal(w http.ResponseWriter, r *http.Request, c *classes.Class, l classes.Learner) {
	s.serveTerminal(w, r, c, l, false)
}

// learnerGrade grades the learner's lab as `ckat grade` does, records the
// grade for the class and answers the report.
func (s *Server) learnerGrade(w http.ResponseWriter, r *http.Request, c *classes.Class, l classes.Learner) {
	defer s.lockLab(l.Lab)()
	g, err := c.Grade(r.Context(), l.Name, 0)
	if err != nil {
		s.actionFailed(w, r, "grading", l, err)
		return
	}
	s.hub.notify(c.Name)
	s.render(w, "report.html", reportView(g.Report))
}

// learnerHint shows the stage's next hint as `ckat hint` does, and
// records it.
func (s *Server) learnerHint(w http.ResponseWriter, r *http.Request, c *classes.Class, l classes.Learner) {
	defer s.lockLab(l.Lab)()
	text, n, total, err := c.NextHint(r.Context(), l.Name)
	if err != nil {
		s.actionFailed(w, r, "a hint for", l, err)
		return
	}
	s.hub.notify(c.Name)
	s.render(w, "hint.html", map[string]any{"Text": text, "N": n, "Total": total})
}

// learnerNext goes on to the next stage as `ckat next` does and answers
// its task.
func (s *Server) learnerNext(w http.ResponseWriter, r *http.Request, c *classes.Class, l classes.Learner) {
	defer s.lockLab(l.Lab)()
	sess, err := c.Session(r.Context(), l.Name, s.opts.Logger)
	if err == nil {
		err = sess.Next(r.Context())
	}
	last := errors.Is(err, session.ErrLastStage)
	if err != nil && !last {
		s.actionFailed(w, r, "moving to the next stage of", l, err)
		return
	}
	s.hub.notify(c.Name)
	s.render(w, "task.html", map[string]any{"Stage": stageOf(sess), "Last": last})
}

// Stage is where a lab's scenario is, for the pages.
type Stage struct {
	Name   string
	Number int
	Of     int
	// Task is the stage's task as the scenario words it; the page's
	// heading says the stage, and the page has no use for the command
	// line's pointers (the lab's name, the guide's path in ckat's source).
	Task string
}

func stageOf(sess *session.Session) Stage {
	return Stage{
		Name: sess.State.Stage, Number: sess.StageNumber(), Of: len(sess.Rendered.Stages),
		Task: strings.TrimRight(sess.Stage().Task, "\n"),
	}
}

// actionFailed logs an action's error in full and tells the learner only
// that it failed: the error can name host paths.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, what string, l classes.Learner, err error) {
	s.opts.Logger.Errorf("%s lab %s: %v", what, l.Lab, err)
	http.Error(w, "That did not work; try again, or tell your instructor.", errorStatus(r.Context(), err))
}

// checkView is a check's result as the report shows it.
type checkView struct {
	grader.Result
	Mark  string
	Class string
}

// reportView is what report.html shows of a report.
func reportView(rep grader.Report) map[string]any {
	checks := make([]checkView, len(rep.Checks))
	for i, c := range rep.Checks {
		checks[i] = checkView{Result: c, Mark: mark(c.Status), Class: string(c.Status)}
	}
	pct := 0
	if rep.MaxScore > 0 {
		pct = rep.Score * 100 / rep.MaxScore
	}
	return map[string]any{"Report": rep, "Checks": checks, "Percent": pct}
}

// mark is a check status's mark, as the text report prints it.
func mark(s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return "✔"
	case grader.StatusFail:
		return "✘"
	}
	return "!"
}

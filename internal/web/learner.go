package web

import (
	"errors"
	"net/http"

	"github.com/ckat/ckat/grader"
)

// learnerPage is the learner's page: the task, the terminal, the buttons.
func (s *Server) learnerPage(w http.ResponseWriter, r *http.Request, l Learner) {
	st, err := s.opts.Actions.Task(r.Context(), l.Lab)
	data := map[string]any{"Learner": l, "Stage": st, "Error": ""}
	if err != nil {
		s.opts.Logger.Warnf("task of lab %s: %v", l.Lab, err)
		data["Error"] = "Your lab cannot be reached right now; tell your instructor."
	}
	s.render(w, "learner.html", data)
}

// learnerTerminal is the learner's terminal on their own lab's node.
func (s *Server) learnerTerminal(w http.ResponseWriter, r *http.Request, l Learner) {
	s.serveTerminal(w, r, l.Lab, false)
}

// learnerGrade grades the learner's lab, records the grade for the class
// and answers the report.
func (s *Server) learnerGrade(w http.ResponseWriter, r *http.Request, l Learner) {
	defer s.lockLab(l.Lab)()
	st, rep, err := s.opts.Actions.Grade(r.Context(), l.Lab)
	if err != nil {
		s.actionFailed(w, r, "grading", l, err)
		return
	}
	if err := s.opts.Store.RecordGrade(l, st.Name, rep); err != nil {
		s.actionFailed(w, r, "recording the grade of", l, err)
		return
	}
	s.hub.notify(l.Class)
	s.render(w, "report.html", reportView(rep))
}

// learnerHint shows the stage's next hint and records it.
func (s *Server) learnerHint(w http.ResponseWriter, r *http.Request, l Learner) {
	defer s.lockLab(l.Lab)()
	st, text, n, total, err := s.opts.Actions.Hint(r.Context(), l.Lab)
	if err != nil {
		s.actionFailed(w, r, "a hint for", l, err)
		return
	}
	if total > 0 {
		if err := s.opts.Store.RecordHint(l, st.Name, n); err != nil {
			s.actionFailed(w, r, "recording a hint for", l, err)
			return
		}
		s.hub.notify(l.Class)
	}
	s.render(w, "hint.html", map[string]any{"Text": text, "N": n, "Total": total})
}

// learnerNext goes on to the next stage and answers its task.
func (s *Server) learnerNext(w http.ResponseWriter, r *http.Request, l Learner) {
	defer s.lockLab(l.Lab)()
	st, err := s.opts.Actions.Next(r.Context(), l.Lab)
	last := errors.Is(err, ErrLastStage)
	if err != nil && !last {
		s.actionFailed(w, r, "moving to the next stage of", l, err)
		return
	}
	s.hub.notify(l.Class)
	s.render(w, "task.html", map[string]any{"Stage": st, "Last": last})
}

// actionFailed logs an action's error in full and tells the learner only
// that it failed: the error can name host paths.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, what string, l Learner, err error) {
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

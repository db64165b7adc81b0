package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/ckat/ckat/classes"
)

// instructorPage is the class's live grid.
func (s *Server) instructorPage(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	s.render(w, "instructor.html", map[string]any{"Class": c.Name, "Scenario": c.Scenario, "Formats": classes.ReportFormats})
}

// instructorGrid answers the grid as JSON, once.
func (s *Server) instructorGrid(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	g, err := s.grid(r.Context(), c)
	if err != nil {
		s.opts.Logger.Errorf("grid of class %s: %v", c.Name, err)
		http.Error(w, "the class could not be read", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(g)
}

// instructorEvents streams the grid as server-sent events: one "grid"
// event now and one after every change.
func (s *Server) instructorEvents(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	err := s.watchGrid(r.Context(), c.Name, func(g Grid) error {
		data, err := json.Marshal(g)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: grid\ndata: %s\n\n", data); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	})
	if err != nil && r.Context().Err() == nil {
		s.opts.Logger.Errorf("grid events of class %s: %v", c.Name, err)
	}
}

// learnerOf returns the class's learner the request names (?learner=).
func learnerOf(r *http.Request, c *classes.Class) (classes.Learner, bool) {
	l, err := c.Learner(r.FormValue("learner"))
	return l, err == nil
}

// instructorTerminal shows a learner's terminal, read-only.
func (s *Server) instructorTerminal(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	l, ok := learnerOf(r, c)
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.serveTerminal(w, r, c, l, true)
}

// instructorReset starts a learner's lab again if it stopped or died, and
// starts its scenario over as `ckat reset` does.
func (s *Server) instructorReset(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	l, ok := learnerOf(r, c)
	if !ok {
		http.NotFound(w, r)
		return
	}
	defer s.lockLab(l.Lab)()
	err := s.reset(r.Context(), c, l)
	if err != nil {
		s.opts.Logger.Errorf("resetting lab %s: %v", l.Lab, err)
		http.Error(w, fmt.Sprintf("Resetting %s's lab failed; see ckat serve's log.", l.Name), errorStatus(r.Context(), err))
		return
	}
	s.hub.notify(c.Name)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s's lab is back at the start of the scenario.\n", l.Name)
}

func (s *Server) reset(ctx context.Context, c *classes.Class, l classes.Learner) error {
	if _, err := c.Restart(ctx, l.Name); err != nil {
		return err
	}
	sess, err := c.Session(ctx, l.Name, s.opts.Logger)
	if err != nil {
		return err
	}
	return sess.Reset(ctx)
}

// reportTypes are the Content-Types of the report's formats.
var reportTypes = map[string]string{
	"text": "text/plain; charset=utf-8", "json": "application/json", "csv": "text/csv; charset=utf-8",
	"junit": "application/xml", "html": "text/html; charset=utf-8",
}

// reportExt are the file name extensions of the report's formats.
var reportExt = map[string]string{"text": "txt", "junit": "xml"}

// instructorReport downloads the class's report (?format=).
func (s *Server) instructorReport(w http.ResponseWriter, r *http.Request, c *classes.Class) {
	formats := classes.ReportFormats
	format := r.FormValue("format")
	if format == "" && len(formats) > 0 {
		format = formats[0]
	}
	if !slices.Contains(formats, format) {
		http.Error(w, fmt.Sprintf("unknown report format %q; use one of %v", format, formats), http.StatusBadRequest)
		return
	}
	ext := reportExt[format]
	if ext == "" {
		ext = format
	}
	var b bytes.Buffer
	rep, err := c.BuildReport()
	if err == nil {
		err = classes.WriteReport(&b, rep, format)
	}
	if err != nil {
		s.opts.Logger.Errorf("report of class %s: %v", c.Name, err)
		http.Error(w, "the report could not be written; see ckat serve's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", reportTypes[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", c.Name+"-report."+ext))
	_, _ = w.Write(b.Bytes())
}

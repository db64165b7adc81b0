package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// instructorPage is the class's live grid.
func (s *Server) instructorPage(w http.ResponseWriter, r *http.Request, class string) {
	s.render(w, "instructor.html", map[string]any{"Class": class, "Formats": s.opts.Store.ReportFormats()})
}

// instructorGrid answers the grid as JSON, once.
func (s *Server) instructorGrid(w http.ResponseWriter, r *http.Request, class string) {
	g, err := s.grid(r.Context(), class)
	if err != nil {
		s.opts.Logger.Errorf("grid of class %s: %v", class, err)
		http.Error(w, "the class could not be read", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(g)
}

// instructorEvents streams the grid as server-sent events: one "grid"
// event now and one after every change.
func (s *Server) instructorEvents(w http.ResponseWriter, r *http.Request, class string) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	err := s.watchGrid(r.Context(), class, func(g Grid) error {
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
		s.opts.Logger.Errorf("grid events of class %s: %v", class, err)
	}
}

// learnerOf returns the class's learner the request names (?learner=).
func (s *Server) learnerOf(r *http.Request, class string) (Learner, bool) {
	name := r.FormValue("learner")
	ls, err := s.opts.Store.Learners(class)
	if err != nil {
		return Learner{}, false
	}
	i := slices.IndexFunc(ls, func(l Learner) bool { return l.Name == name })
	if i < 0 {
		return Learner{}, false
	}
	return ls[i], true
}

// instructorTerminal shows a learner's terminal, read-only.
func (s *Server) instructorTerminal(w http.ResponseWriter, r *http.Request, class string) {
	l, ok := s.learnerOf(r, class)
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.serveTerminal(w, r, l.Lab, true)
}

// instructorReset starts a learner's lab again if it died and starts its
// scenario over.
func (s *Server) instructorReset(w http.ResponseWriter, r *http.Request, class string) {
	l, ok := s.learnerOf(r, class)
	if !ok {
		http.NotFound(w, r)
		return
	}
	defer s.lockLab(l.Lab)()
	if err := s.opts.Actions.Reset(r.Context(), l.Lab); err != nil {
		s.opts.Logger.Errorf("resetting lab %s: %v", l.Lab, err)
		http.Error(w, fmt.Sprintf("resetting %s's lab failed; see ckat serve's log", l.Name), errorStatus(r.Context(), err))
		return
	}
	s.hub.notify(class)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s's lab is back at the start of the scenario.\n", l.Name)
}

// reportTypes are the Content-Types of the report's formats.
var reportTypes = map[string]string{
	"text": "text/plain; charset=utf-8", "json": "application/json", "csv": "text/csv; charset=utf-8",
	"junit": "application/xml", "html": "text/html; charset=utf-8",
}

// reportExt are the file name extensions of the report's formats.
var reportExt = map[string]string{"text": "txt", "junit": "xml"}

// instructorReport downloads the class's report (?format=).
func (s *Server) instructorReport(w http.ResponseWriter, r *http.Request, class string) {
	formats := s.opts.Store.ReportFormats()
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
	if err := s.opts.Store.WriteReport(&b, class, format); err != nil {
		s.opts.Logger.Errorf("report of class %s: %v", class, err)
		http.Error(w, "the report could not be written; see ckat serve's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", reportTypes[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", class+"-report."+ext))
	_, _ = w.Write(b.Bytes())
}

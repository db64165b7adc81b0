package web

import (
	"bytes"
	"html/template"
	"net/http"
)

// templates are the pages and the fragments the buttons fetch.
var templates = template.Must(template.ParseFS(assets, "templates/*.html"))

// render writes a template, or a 500 when it fails (nothing half-written).
func (s *Server) render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		s.opts.Logger.Errorf("rendering %s: %v", name, err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

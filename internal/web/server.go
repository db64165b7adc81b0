// Package web is `ckat serve`: the learner's page (the task, a terminal on
// their lab's node, grade, hint and next) and the instructor's page (a live
// grid of the class, read-only terminals, reset, the report). Pages are
// html/template with a little JavaScript; xterm.js is embedded, built from
// ui/ (see README).
package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/log"
)

//go:embed static templates
var assets embed.FS

// learnerRoot is where the learner's pages live.
var learnerRoot = classes.LearnerPath("")

// Cookies that carry a token after the link that holds it was opened.
const (
	learnerCookie    = "ckat_learner"
	instructorCookie = "ckat_instructor"
)

// instructorRoot is where the instructor's pages live: the path of the
// link `ckat class create` prints, without its token.
var instructorRoot = classes.InstructorPath("")

// Options configure a Server.
type Options struct {
	// Store holds the classes; it lives on disk, so a restart of the
	// server loses nothing.
	Store  *classes.Store
	Logger *log.Logger
	// Shell is what a lab's terminal runs (SSHShell).
	Shell ShellFunc
	// Grace is how long a terminal's shell outlives its last connection,
	// so a client reconnects to it after a network blip; 0 means 2 minutes.
	Grace time.Duration
	// Poll is how often the instructor's grid looks for grades recorded by
	// other processes; 0 means 1 s.
	Poll time.Duration
	// FreezeAfter is how long a learner may do nothing through the server
	// (no page, button or keystroke) before their lab is frozen; their
	// next action thaws it. 0 never freezes.
	FreezeAfter time.Duration
}

// Server serves the pages. Build it with New; Close ends its shells.
type Server struct {
	opts  Options
	terms *terminals
	hub   *hub
	mux   *http.ServeMux
	// labLocks keeps one grade, hint, next, reset or freeze at a time per
	// lab.
	labLocks sync.Map
	idle     *idleLabs
	// stop ends the idle labs' freezer.
	stop context.CancelFunc
}

// New returns a server over opts.Store.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = log.NoOp()
	}
	if opts.Grace == 0 {
		opts.Grace = 2 * time.Minute
	}
	if opts.Poll == 0 {
		opts.Poll = time.Second
	}
	s := &Server{opts: opts, terms: newTerminals(opts.Shell, opts.Grace), hub: newHub(), idle: newIdleLabs(time.Now())}
	s.routes()
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if opts.FreezeAfter > 0 {
		go s.freezeIdleLabs(ctx, freezeCheckInterval(opts.FreezeAfter))
	}
	return s
}

// freezeCheckInterval is how often the server looks for idle labs: a
// tenth of the idle time, within 100 ms and 30 s.
func freezeCheckInterval(after time.Duration) time.Duration {
	return min(max(after/10, 100*time.Millisecond), 30*time.Second)
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return securityHeaders(s.mux) }

// Close ends every terminal's shell and the grid's event streams.
func (s *Server) Close() {
	s.stop()
	s.hub.close()
	s.terms.closeAll()
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", s.home)

	ln := learnerRoot
	m.HandleFunc("GET "+ln+"{token}", s.learnerLink)
	m.HandleFunc("GET "+ln+"{$}", s.learner(s.learnerPage))
	m.HandleFunc("GET "+ln+"api/terminal", s.learner(s.learnerTerminal))
	m.HandleFunc("POST "+ln+"api/grade", s.learner(s.learnerGrade))
	m.HandleFunc("POST "+ln+"api/hint", s.learner(s.learnerHint))
	m.HandleFunc("POST "+ln+"api/next", s.learner(s.learnerNext))

	in := instructorRoot
	m.HandleFunc("GET "+in+"{token}", s.instructorLink)
	m.HandleFunc("GET "+in+"{$}", s.instructor(s.instructorPage))
	m.HandleFunc("GET "+in+"api/grid", s.instructor(s.instructorGrid))
	m.HandleFunc("GET "+in+"api/events", s.instructor(s.instructorEvents))
	m.HandleFunc("GET "+in+"api/terminal", s.instructor(s.instructorTerminal))
	m.HandleFunc("POST "+in+"api/reset", s.instructor(s.instructorReset))
	m.HandleFunc("GET "+in+"api/report", s.instructor(s.instructorReport))
	s.mux = m
}

func (s *Server) home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ckat: open the link your instructor gave you.\n"))
}

// forbidden answers 403 and says nothing of why: not whether the token
// exists, nor what it would reach.
func forbidden(w http.ResponseWriter) {
	http.Error(w, "forbidden", http.StatusForbidden)
}

// learnerLink opens a learner's link: the token goes into a cookie and the
// page loads without it in its address.
func (s *Server) learnerLink(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if _, _, err := s.opts.Store.AuthLearner(token); err != nil {
		forbidden(w)
		return
	}
	setTokenCookie(w, r, learnerCookie, learnerRoot, token)
	http.Redirect(w, r, learnerRoot, http.StatusSeeOther)
}

// instructorLink opens the instructor's link, as learnerLink does.
func (s *Server) instructorLink(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if _, err := s.opts.Store.AuthInstructor(token); err != nil {
		forbidden(w)
		return
	}
	setTokenCookie(w, r, instructorCookie, instructorRoot, token)
	http.Redirect(w, r, instructorRoot, http.StatusSeeOther)
}

func setTokenCookie(w http.ResponseWriter, r *http.Request, name, path, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: token, Path: path,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// learner wraps a learner's handler: the learner's cookie must hold a
// learner's token, and a request that changes something or opens a
// WebSocket must come from this server's own pages.
func (s *Server) learner(h func(http.ResponseWriter, *http.Request, *classes.Class, classes.Learner)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(learnerCookie)
		if err != nil || !sameOrigin(r) {
			forbidden(w)
			return
		}
		class, l, err := s.opts.Store.AuthLearner(c.Value)
		if err != nil {
			forbidden(w)
			return
		}
		s.activity(r.Context(), class, l)
		h(w, r, class, l)
	}
}

// instructor wraps an instructor's handler as learner does.
func (s *Server) instructor(h func(http.ResponseWriter, *http.Request, *classes.Class)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(instructorCookie)
		if err != nil || !sameOrigin(r) {
			forbidden(w)
			return
		}
		class, err := s.opts.Store.AuthInstructor(c.Value)
		if err != nil {
			forbidden(w)
			return
		}
		h(w, r, class)
	}
}

// sameOrigin reports whether a request may act: one without an Origin
// header (a plain navigation, or a program with the token), or one whose
// Origin is this server.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// securityHeaders keeps the pages out of frames and their addresses out
// of Referer headers.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// lockLab keeps one action at a time on lab; the returned func unlocks.
func (s *Server) lockLab(lab string) func() {
	v, _ := s.labLocks.LoadOrStore(lab, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// errorStatus is the HTTP status for an action's error: 503 when the
// server or the client gave up, 500 otherwise.
func errorStatus(ctx context.Context, err error) int {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

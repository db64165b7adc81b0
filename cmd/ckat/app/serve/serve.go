// Package serve implements `ckat serve`: the web pages of workshop
// classes, for learners (their task, a terminal on their lab, grade, hint,
// next) and instructors (the class's live grid).
package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/web"
)

// DefaultListen is where ckat serve listens unless told otherwise.
const DefaultListen = "127.0.0.1:8080"

// shutdownTimeout bounds how long requests in flight get to finish.
const shutdownTimeout = 5 * time.Second

// Options say where and how to serve.
type Options struct {
	Listen   string
	TLSCert  string
	TLSKey   string
	Insecure bool
	// FreezeAfter is how long a learner may be idle before their lab is
	// frozen (0: never).
	FreezeAfter time.Duration
}

// DefaultFreezeAfter is how long a learner may be idle before ckat serve
// freezes their lab unless told otherwise.
const DefaultFreezeAfter = 5 * time.Minute

type flagpole struct {
	Options
}

// NewCommand returns the serve command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web pages of workshop classes (learners' terminals, the instructor's grid)",
		Long: `Serve the web pages of the classes made with 'ckat class create': each learner's
link opens their task, a terminal on their lab's node and the grade, hint and
next buttons; the instructor's link opens the class's live grid.

It listens on loopback unless told otherwise. A learner's link reaches a root
shell on their lab, so any other address needs TLS (--tls-cert and --tls-key),
or --insecure to serve it in the clear anyway (a closed classroom network).
The classes live on disk: stopping and starting ckat serve loses nothing.

A learner's lab is frozen after --freeze-after without a page, button or
keystroke of theirs (its processes are paused: no CPU, memory kept), and
thawed by their next one within a fraction of a second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Serve(cmd.Context(), logger, streams, flags.Options, nil)
		},
	}
	cmd.Flags().StringVar(&flags.Listen, "listen", DefaultListen, "the address to listen on, HOST:PORT")
	cmd.Flags().StringVar(&flags.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM), with --tls-key")
	cmd.Flags().StringVar(&flags.TLSKey, "tls-key", "", "the certificate's private key (PEM)")
	cmd.Flags().BoolVar(&flags.Insecure, "insecure", false, "allow plain HTTP on an address other than loopback")
	cmd.Flags().DurationVar(&flags.FreezeAfter, "freeze-after", DefaultFreezeAfter, "freeze a learner's lab after this long without their activity; 0 never freezes")
	return cmd
}

// Serve serves until ctx ends, then shuts down: requests in flight get a
// few seconds, terminals' shells end. ready, when not nil, is called with
// the server's base URL once it listens.
func Serve(ctx context.Context, logger *log.Logger, streams cli.Streams, opts Options, ready func(url string)) error {
	tlsConfig, err := checkOptions(opts)
	if err != nil {
		return err
	}
	store, err := classes.DefaultStore()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ckat's executable for the terminals: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.Listen, err)
	}
	scheme := "http"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	if msg, err := web.RaisePriority(); err != nil {
		logger.V(1).Infof("the server keeps its CPU share (%v): while many labs are busy, pages and the grid may lag", err)
	} else {
		logger.V(1).Infof("%s", msg)
	}
	srv := web.New(web.Options{
		Store: store, Logger: logger, Shell: web.SSHShell(self), FreezeAfter: opts.FreezeAfter,
	})
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	fmt.Fprintf(streams.Out, "Serving the classes in %s on %s\n", store.Dir(), url)
	fmt.Fprintln(streams.Out, "Learners open the links 'ckat class create' printed; stop with Ctrl-C.")
	if ready != nil {
		ready(url)
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		srv.Close()
		return fmt.Errorf("serving on %s: %w", opts.Listen, err)
	case <-ctx.Done():
	}
	logger.V(0).Infof("Shutting down ...")
	srv.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkOptions refuses plain HTTP beyond loopback unless Insecure, and
// loads the TLS certificate when one is given.
func checkOptions(opts Options) (*tls.Config, error) {
	if opts.FreezeAfter < 0 {
		return nil, fmt.Errorf("--freeze-after is %s; it must not be negative (0 never freezes)", opts.FreezeAfter)
	}
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("invalid --listen %q: want HOST:PORT, such as %s: %w", opts.Listen, DefaultListen, err)
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together: give both, or neither")
	}
	if opts.TLSCert == "" {
		if !isLoopback(host) && !opts.Insecure {
			return nil, fmt.Errorf("refusing to serve plain HTTP on %s, which is not a loopback address: "+
				"a learner's link is a root shell on their lab, so give --tls-cert and --tls-key, "+
				"or --insecure on a network you trust", opts.Listen)
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert %s and --tls-key %s: %w", opts.TLSCert, opts.TLSKey, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// isLoopback reports whether host names only this machine: localhost or a
// loopback IP. An empty host is every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

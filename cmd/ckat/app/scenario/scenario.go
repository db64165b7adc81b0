// Package scenario implements `ckat scenario list|show|lint|guide`: the
// scenarios there are, one scenario's details, checking scenario files,
// and a scenario's guide.
package scenario

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/guides"
)

// NewCommand returns the scenario command with its subcommands.
func NewCommand(streams cli.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "List, show, check and read about scenarios",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return c.Help()
		},
	}
	cmd.AddCommand(NewListCommand(streams), newShowCommand(streams), newLintCommand(streams), newGuideCommand(streams))
	return cmd
}

type showFlags struct {
	ScenarioDir string
	Output      *cli.Output
}

func newShowCommand(streams cli.Streams) *cobra.Command {
	flags := &showFlags{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show what a scenario sets up, checks and expects",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := scenarios.Get(args[0], flags.ScenarioDir)
			if err != nil {
				return err
			}
			if flags.Output.String() == "yaml" {
				_, err := streams.Out.Write(s.Source())
				return err
			}
			return show(streams.Out, s)
		},
	}
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also look in this directory of scenario files")
	flags.Output = cli.AddOutputFlag(cmd, "yaml")
	return cmd
}

func show(w io.Writer, s *scenarios.Scenario) error {
	fmt.Fprintf(w, "%s: %s\n", s.Metadata.Name, s.Metadata.Title)
	if d := strings.TrimSpace(s.Metadata.Description); d != "" {
		fmt.Fprintf(w, "\n%s\n", d)
	}
	fmt.Fprintf(w, "\nLab: %d control-plane node(s), kind config %q\n", max(s.Lab.ControlPlaneNodes, 1), s.Lab.KindConfig)
	if len(s.Params) > 0 {
		fmt.Fprintln(w, "\nParameters (drawn per lab; --seed reproduces them):")
		for _, p := range s.Params {
			fmt.Fprintf(w, "  %-18s %s\n", p.Name, describeParam(p))
		}
	}
	fmt.Fprintf(w, "\nSetup: %d step(s)\n", len(s.Setup))
	for i, st := range s.Stages {
		fmt.Fprintf(w, "\nStage %d/%d: %s\n", i+1, len(s.Stages), st.Name)
		for _, c := range st.Checks {
			kind := c.Type()
			points := max(c.Points, 1)
			req := ""
			if len(c.Requires) > 0 {
				req = " (counts once " + strings.Join(c.Requires, ", ") + " pass)"
			}
			fmt.Fprintf(w, "  check %-22s %-17s %d point(s)%s\n", c.Name, kind, points, req)
		}
		fmt.Fprintf(w, "  %d hint(s)", len(st.Hints))
		if len(st.Next) > 0 {
			fmt.Fprintf(w, "; 'ckat next' applies %d step(s)", len(st.Next))
		}
		fmt.Fprintln(w)
	}
	if len(s.Alternatives) > 0 {
		fmt.Fprintln(w, "\nOther correct solutions (checked by 'ckat selftest'):")
		for _, a := range s.Alternatives {
			fmt.Fprintf(w, "  %-28s %s\n", a.Name, a.Description)
		}
	}
	if len(s.Mistakes) > 0 {
		fmt.Fprintln(w, "\nKnown mistakes (checked by 'ckat selftest'):")
		for _, m := range s.Mistakes {
			fmt.Fprintf(w, "  %-28s fails %s\n", m.Name, strings.Join(m.Fails, ", "))
		}
	}
	fmt.Fprintf(w, "\nGuide: %s\n", guides.Path(s.Metadata.Name))
	return nil
}

func describeParam(p scenarios.Param) string {
	switch {
	case p.Word != nil:
		return "a random word"
	case p.RandomString != nil:
		return fmt.Sprintf("%d random letters and digits", p.RandomString.Length)
	case p.OneOf != nil:
		return "one of " + strings.Join(p.OneOf, ", ")
	case p.Value != nil:
		return fmt.Sprintf("%q", *p.Value)
	case p.Template != nil:
		return *p.Template
	}
	return ""
}

func newLintCommand(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check scenario files and report every problem with its line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return lint(streams, args)
		},
	}
}

// lint prints every problem in every file, "FILE:LINE:COL: message", and
// fails when there is any.
func lint(streams cli.Streams, files []string) error {
	bad := 0
	for _, f := range files {
		_, err := scenarios.LoadFile(f)
		var ps scenarios.Problems
		switch {
		case err == nil:
			fmt.Fprintf(streams.Out, "%s: ok\n", f)
		case errors.As(err, &ps):
			bad++
			for _, p := range ps {
				fmt.Fprintln(streams.Out, p.String())
			}
		default:
			bad++
			fmt.Fprintf(streams.Out, "%s: %v\n", f, err)
		}
	}
	if bad > 0 {
		return cli.WithExitCode(cli.ExitFailed, fmt.Errorf("%d of %d scenario file(s) have problems", bad, len(files)))
	}
	return nil
}

func newGuideCommand(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "guide NAME",
		Short: "Print a built-in scenario's guide: the background and the steps, in Markdown",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			text, err := guides.Get(args[0])
			if err != nil {
				return err
			}
			_, err = streams.Out.Write(text)
			return err
		},
	}
}

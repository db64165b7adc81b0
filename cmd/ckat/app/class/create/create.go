// Package create implements `ckat class create`: make a lab for each
// learner of a class and print their links.
package create

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
)

type flagpole struct {
	Scenario      string
	Learners      int
	Roster        string
	Seed          uint64
	ScenarioDir   string
	Provider      string
	KubeAPIServer string
	Parallel      int
	KeepRunning   bool
}

// NewCommand returns `ckat class create`.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "create CLASS --scenario S (--learners N | --roster FILE)",
		Short: "Make a lab for each learner of a class and print their links",
		Long: `Make one lab per learner, several at once, set the scenario up on each, and
print each learner's link and, for a new class, the instructor's link (once:
it is kept in the class's directory). Learners are learner-01, learner-02,
... with --learners N, or one name per line of a roster file (lines starting
with # are comments). With --seed, every learner gets the same task; without,
each draws their own.

Each lab waits frozen once it is set up, using no CPU, until its learner first
opens their page (through 'ckat serve') or a ckat command reaches it; it thaws
in a fraction of a second. --keep-running leaves the labs running instead.

Run it again to add the learners who are missing: those who exist keep their
labs and links. A class larger than this machine's memory holds is refused
before anything is made.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seed *uint64
			if cmd.Flags().Changed("seed") {
				seed = &flags.Seed
			}
			learners := cmd.Flags().Changed("learners")
			if learners == (flags.Roster != "") {
				return cli.WithExitCode(cli.ExitCannotRun, errors.New("say who the learners are with either --learners N or --roster FILE"))
			}
			return runE(cmd.Context(), logger, streams, flags, args[0], seed)
		},
	}
	cmd.Flags().StringVar(&flags.Scenario, "scenario", "", "the scenario every learner works on (see 'ckat scenario list')")
	cmd.Flags().IntVar(&flags.Learners, "learners", 0, "how many learners: learner-01, learner-02, ...")
	cmd.Flags().StringVar(&flags.Roster, "roster", "", "a file with one learner name per line")
	cmd.Flags().Uint64Var(&flags.Seed, "seed", 0, "give every learner the task drawn from this seed (default: each their own)")
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also look for the scenario in this directory of scenario files")
	cmd.Flags().StringVar(&flags.Provider, "provider", providers.Default, "where the labs run: local or kind")
	cmd.Flags().StringVar(&flags.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver executable the local provider runs")
	cmd.Flags().IntVar(&flags.Parallel, "parallel", labs.CreateParallel(), "how many labs are made at once")
	cmd.Flags().BoolVar(&flags.KeepRunning, "keep-running", false, "leave each lab running once it is set up, instead of frozen until its learner comes")
	_ = cmd.MarkFlagRequired("scenario")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole, name string, seed *uint64) error {
	cannot := func(err error) error { return cli.WithExitCode(cli.ExitCannotRun, err) }
	if err := classes.ValidateClassName(name); err != nil {
		return cannot(err)
	}
	if flags.Parallel < 1 {
		return cannot(fmt.Errorf("--parallel must be at least 1, not %d", flags.Parallel))
	}
	names, err := learnerNames(flags)
	if err != nil {
		return cannot(err)
	}
	sc, err := scenarios.Get(flags.Scenario, flags.ScenarioDir)
	if err != nil {
		return cannot(err)
	}
	p, err := providers.Get(flags.Provider, providers.WithLogger(labLogger(logger)), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cannot(err)
	}
	store, err := classes.DefaultStore()
	if err != nil {
		return cannot(err)
	}
	class, err := store.Open(name)
	switch {
	case err == nil:
		if err := sameClass(class, sc.Metadata.Name, flags.Provider, seed); err != nil {
			return cannot(err)
		}
	case !errors.Is(err, classes.ErrNotFound):
		return cannot(err)
	}
	missing := names
	if class != nil {
		missing = class.Missing(names)
	}
	if err := classes.MachineCapacity().Check(len(missing)); err != nil {
		return cannot(err)
	}
	if class == nil {
		var token string
		if class, token, err = store.Create(name, sc.Metadata.Name, flags.Provider, seed); err != nil {
			return cannot(err)
		}
		fmt.Fprintf(streams.Out, "Class %s: scenario %s.\nInstructor's link (shown this once; kept in %s):\n  %s\n\n", name, sc.Metadata.Name, class.InstructorTokenPath(), classes.URL(classes.InstructorPath(token)))
	}
	if kept := len(names) - len(missing); kept > 0 {
		fmt.Fprintf(streams.Out, "%d learners of class %s exist already and keep their labs and links.\n", kept, name)
	}
	if len(missing) == 0 {
		fmt.Fprintln(streams.Out, "Every learner has a lab; nothing to make.")
		return nil
	}
	return provision(ctx, logger, streams, class, missing, sc, p, flags)
}

// provision makes the missing learners' labs with a progress line as each
// starts and ends, then prints their links.
func provision(ctx context.Context, logger *log.Logger, streams cli.Streams, class *classes.Class, names []string, sc *scenarios.Scenario, p labs.Provider, flags *flagpole) error {
	parallel := min(flags.Parallel, len(names))
	logger.V(0).Infof("Making %d labs, %d at once ...", len(names), parallel)
	began := time.Now()
	done := 0
	results := class.Provision(ctx, names, classes.ProvisionOptions{
		Scenario: sc, Provider: p, Parallel: parallel, Logger: labLogger(logger), KeepRunning: flags.KeepRunning,
		Progress: func(pr classes.Provisioned) {
			switch {
			case !pr.Done:
				logger.V(0).Infof("  %s: making lab %s ...", pr.Learner, pr.Lab)
			case pr.Err != nil:
				done++
				logger.V(0).Infof("  [%d/%d] %s: failed after %s: %v", done, len(names), pr.Learner, pr.Took.Round(100*time.Millisecond), advice.Error(pr.Err))
			default:
				done++
				logger.V(0).Infof("  [%d/%d] %s: ready in %s", done, len(names), pr.Learner, pr.Took.Round(100*time.Millisecond))
			}
		},
	})
	var failed []string
	frozen := 0
	fmt.Fprintf(streams.Out, "Learners' links (each shown this once):\n")
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.Learner)
			continue
		}
		if r.Frozen {
			frozen++
		}
		fmt.Fprintf(streams.Out, "  %-*s %s\n", classes.MaxLearnerName, r.Learner, classes.URL(classes.LearnerPath(r.Token)))
	}
	fmt.Fprintf(streams.Out, "\n%d of %d labs ready in %s.\n", len(names)-len(failed), len(names), time.Since(began).Round(100*time.Millisecond))
	if frozen > 0 {
		fmt.Fprintf(streams.Out, "%d of them wait frozen, using no CPU, until their learner opens their page; they thaw at once.\n", frozen)
	}
	fmt.Fprintln(streams.Out, advice.ServeClass())
	if len(failed) > 0 {
		return fmt.Errorf("%d labs could not be made (%s): run '%s' again to retry them", len(failed), strings.Join(failed, ", "), advice.ClassCreate(class.Name)+" --scenario "+sc.Metadata.Name)
	}
	return nil
}

// learnerNames reads the roster or numbers the learners.
func learnerNames(flags *flagpole) ([]string, error) {
	if flags.Roster == "" {
		if flags.Learners < 1 {
			return nil, fmt.Errorf("--learners must be at least 1, not %d", flags.Learners)
		}
		return classes.NumberedLearners(flags.Learners), nil
	}
	f, err := os.Open(flags.Roster)
	if err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	defer f.Close()
	names, err := classes.ParseRoster(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flags.Roster, err)
	}
	return names, nil
}

// sameClass refuses to add learners to a class with other parameters.
func sameClass(c *classes.Class, scenario, provider string, seed *uint64) error {
	switch {
	case c.Scenario != scenario:
		return fmt.Errorf("class %s exists and works on scenario %s, not %s", c.Name, c.Scenario, scenario)
	case c.Provider != provider:
		return fmt.Errorf("class %s exists and runs on the %s provider, not %s", c.Name, c.Provider, provider)
	case seed != nil && (c.Seed == nil || *c.Seed != *seed):
		return fmt.Errorf("class %s exists and draws %s, not seed %d", c.Name, seedText(c.Seed), *seed)
	}
	return nil
}

func seedText(s *uint64) string {
	if s == nil {
		return "each learner's own task"
	}
	return fmt.Sprintf("seed %d", *s)
}

// labLogger is where each lab's own progress goes: nowhere at the default
// verbosity, where several labs at once would interleave it, and to
// logger from -v 1.
func labLogger(logger *log.Logger) *log.Logger {
	if logger.Verbosity() >= 1 {
		return logger
	}
	return log.NoOp()
}

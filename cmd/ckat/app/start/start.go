// Package start implements `ckat start SCENARIO`: create a lab for a
// scenario, seed it, and print the task; or start the scenario's stopped
// lab again.
package start

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab           string
	Provider      string
	Seed          uint64
	ScenarioDir   string
	KubeAPIServer string
	Wait          time.Duration
}

// NewCommand returns the start command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "start SCENARIO",
		Short: "Create a lab for a scenario, or start its stopped lab again, and print the task",
		Long: `Create a lab for a scenario, seed it with the scenario's objects, and print the
task. Names and paths in the task are drawn for each lab; --seed N draws the
same ones again. See 'ckat scenario list' for the scenarios.

When the lab exists already, start works on it: a lab of this scenario that
'ckat stop' stopped starts again where it was, one that runs prints its task,
and a lab made by 'ckat lab create' gets the scenario set up on it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seed *uint64
			if cmd.Flags().Changed("seed") {
				seed = &flags.Seed
			}
			if !cmd.Flags().Changed("provider") {
				flags.Provider = ""
			}
			return runE(cmd.Context(), logger, streams, flags, args[0], seed)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab's name (default: the scenario's name)")
	cmd.Flags().StringVar(&flags.Provider, "provider", providers.Default, "where the lab runs: local or kind")
	cmd.Flags().Uint64Var(&flags.Seed, "seed", 0, "draw the task's names and paths from this seed (default: random)")
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also look for the scenario in this directory of scenario files")
	cmd.Flags().StringVar(&flags.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver executable the local provider runs")
	cmd.Flags().DurationVar(&flags.Wait, "wait", readyz.LabTimeout, "how long to wait for the lab's API server")
	return cmd
}

// runE starts scenario name; flags.Provider is empty unless given.
func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole, name string, seed *uint64) error {
	sc, err := scenarios.Get(name, flags.ScenarioDir)
	if err != nil {
		return err
	}
	labName := flags.Lab
	if labName == "" {
		labName = sc.Metadata.Name
	}
	rec, err := labs.ReadRecord(labName)
	switch {
	case err == nil:
		return startExisting(ctx, logger, streams, flags, sc, rec, seed)
	case !errors.Is(err, labs.ErrNotFound):
		return err
	}
	provider := flags.Provider
	if provider == "" {
		provider = providers.Default
	}
	p, err := providers.Get(provider, providers.WithLogger(logger), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	s, err := session.Start(ctx, session.StartOptions{Scenario: sc, Provider: p, LabName: labName, Seed: seed, WaitReady: flags.Wait, Logger: logger})
	if err != nil {
		if s != nil && s.Lab != nil {
			return fmt.Errorf("%w\nthe lab was created but is not ready for the scenario: remove it with 'ckat delete --lab %s'", err, s.Lab.Name())
		}
		return err
	}
	fmt.Fprintf(streams.Out, "Scenario %s is set up on lab %q (seed %d: 'ckat start %s --seed %d' draws the same task).\n\n", sc.Metadata.Name, labName, s.State.Seed, sc.Metadata.Name, s.State.Seed)
	writeTask(streams, s)
	return nil
}

// startExisting works on the lab rec describes: it starts the lab again
// if it was stopped, and sets the scenario up on it if it runs none yet.
// A lab of another scenario, another seed or another provider is refused.
func startExisting(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole, sc *scenarios.Scenario, rec labs.Record, seed *uint64) error {
	name := rec.Name
	if flags.Provider != "" && flags.Provider != rec.Provider {
		return fmt.Errorf("lab %q already exists on the %s provider, not %s: choose another name with --lab, or delete it with 'ckat delete --lab %s'", name, rec.Provider, flags.Provider, name)
	}
	st, _, err := scenarios.LoadState(name)
	bare := errors.Is(err, scenarios.ErrNoScenario)
	if err != nil && !bare {
		return err
	}
	if !bare && st.Scenario != sc.Metadata.Name {
		return fmt.Errorf("lab %q already exists and runs scenario %s: start %s on another lab with --lab NAME, or delete this one with 'ckat delete --lab %s'", name, st.Scenario, sc.Metadata.Name, name)
	}
	if !bare && seed != nil && *seed != st.Seed {
		return fmt.Errorf("lab %q already exists and runs %s with seed %d: delete it with 'ckat delete --lab %s' to draw seed %d", name, st.Scenario, st.Seed, name, *seed)
	}
	l, err := providers.Open(ctx, name, providers.WithLogger(logger))
	if err != nil {
		return err
	}
	if err := lab.EnsureRunning(ctx, l, logger); err != nil {
		return err
	}
	if bare {
		s, err := session.StartOn(ctx, l, session.StartOptions{Scenario: sc, Seed: seed, Logger: logger})
		if err != nil {
			return fmt.Errorf("%w\nlab %q is not ready for the scenario: start over with 'ckat delete --lab %s'", err, name, name)
		}
		fmt.Fprintf(streams.Out, "Scenario %s is set up on lab %q (seed %d).\n\n", sc.Metadata.Name, name, s.State.Seed)
		writeTask(streams, s)
		return nil
	}
	s, err := session.Open(ctx, l, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(streams.Out, "Scenario %s runs on lab %q, at stage %q ('ckat reset' starts it over).\n\n", sc.Metadata.Name, name, s.State.Stage)
	writeTask(streams, s)
	return nil
}

func writeTask(streams cli.Streams, s *session.Session) {
	advice.WriteTask(streams.Out, s)
	fmt.Fprintf(streams.Out, "Work on the node with 'ckat ssh --lab %s'; check your work with 'ckat grade'.\n", s.Lab.Name())
}

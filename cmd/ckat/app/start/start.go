// Package start implements `ckat start SCENARIO`: create a lab for a
// scenario, seed it, and print the task.
package start

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
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
		Short: "Create a lab for a scenario and print its task",
		Long: `Create a lab for a scenario, seed it with the scenario's objects, and print the
task. Names and paths in the task are drawn for each lab; --seed N draws the
same ones again. See 'ckat scenarios' for the scenarios.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seed *uint64
			if cmd.Flags().Changed("seed") {
				seed = &flags.Seed
			}
			return runE(logger, streams, flags, args[0], seed)
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

func runE(logger *log.Logger, streams cli.Streams, flags *flagpole, name string, seed *uint64) error {
	sc, err := scenarios.Get(name, flags.ScenarioDir)
	if err != nil {
		return err
	}
	p, err := providers.Get(flags.Provider, providers.WithLogger(logger), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := session.Start(ctx, session.StartOptions{Scenario: sc, Provider: p, LabName: flags.Lab, Seed: seed, WaitReady: flags.Wait, Logger: logger})
	if err != nil {
		if s != nil && s.Lab != nil {
			return fmt.Errorf("%w\nthe lab was created but is not ready for the scenario: remove it with 'ckat delete --lab %s'", err, s.Lab.Name())
		}
		return err
	}
	lab := s.Lab.Name()
	fmt.Fprintf(streams.Out, "Scenario %s is set up on lab %q (seed %d: 'ckat start %s --seed %d' draws the same task).\n\n", sc.Metadata.Name, lab, s.State.Seed, sc.Metadata.Name, s.State.Seed)
	s.WriteTask(streams.Out)
	fmt.Fprintf(streams.Out, "Work on the node with 'ckat ssh --lab %s'; check your work with 'ckat grade'.\n", lab)
	return nil
}

// Package selftest implements `ckat selftest`: prove that scenarios grade
// what they claim, on fresh labs.
package selftest

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/selftest"
)

type flagpole struct {
	Provider      string
	Output        *cli.Output
	ScenarioDir   string
	Seed          uint64
	Keep          bool
	KubeAPIServer string
	Parallel      int
}

// NewCommand returns the selftest command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "selftest [SCENARIO...]",
		Short: "Check that scenarios grade what they claim, each on a fresh lab",
		Long: `For each scenario (all of them by default), on a fresh lab named
st-SCENARIO (a leftover lab of that name is deleted first): right after setup
no check passes; the reference solution scores full marks, stage after stage;
after a reset, each other correct solution scores full marks too; and after a
reset, each known mistake fails exactly the checks it lists. Exits non-zero on
any failure.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), logger, streams, flags, args)
		},
	}
	cmd.Flags().StringVar(&flags.Provider, "provider", providers.Default, "where the labs run: local or kind")
	flags.Output = cli.AddOutputFlag(cmd, "junit")
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also look for scenarios in this directory of scenario files")
	cmd.Flags().Uint64Var(&flags.Seed, "seed", 1, "the seed the labs' parameters are drawn from")
	cmd.Flags().BoolVar(&flags.Keep, "keep", false, "keep the labs afterwards")
	cmd.Flags().IntVar(&flags.Parallel, "parallel", selftest.DefaultParallel(), "how many labs run at once: each scenario on its own, and the cases after a reset of the biggest on more of theirs")
	cmd.Flags().StringVar(&flags.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver executable the local provider runs")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole, names []string) error {
	var todo []*scenarios.Scenario
	if len(names) == 0 {
		all, err := scenarios.List(flags.ScenarioDir)
		if err != nil {
			return cli.WithExitCode(cli.ExitCannotRun, err)
		}
		todo = all
	}
	for _, n := range names {
		s, err := scenarios.Get(n, flags.ScenarioDir)
		if err != nil {
			return cli.WithExitCode(cli.ExitCannotRun, err)
		}
		todo = append(todo, s)
	}
	p, err := providers.Get(flags.Provider, providers.WithLogger(logger), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	if flags.Parallel < 1 {
		return cli.WithExitCode(cli.ExitCannotRun, fmt.Errorf("--parallel must be at least 1, not %d", flags.Parallel))
	}
	began := time.Now()
	results := selftest.RunAll(ctx, todo, flags.Parallel, selftest.Options{Provider: p, Seed: flags.Seed, Keep: flags.Keep, Logger: logger})
	failed := false
	for _, res := range results {
		if !res.Passed() {
			failed = true
		}
	}
	total := time.Since(began)
	if flags.Output.String() == "junit" {
		if err := selftest.WriteJUnit(streams.Out, results, total); err != nil {
			return err
		}
	} else {
		selftest.WriteText(streams.Out, results, total)
	}
	if failed {
		return cli.WithExitCode(cli.ExitFailed, nil)
	}
	return nil
}

// Package doctor implements `ckat doctor`: it checks what a provider needs
// on this machine and says, for each check, ok or the problem and its fix.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Provider      string
	Output        *cli.Output
	KubeAPIServer string
}

// Report is what `ckat doctor -o json` prints.
type Report struct {
	Provider string         `json:"provider"`
	Ready    bool           `json:"ready"`
	Checks   []labs.Finding `json:"checks"`
}

// NewCommand returns the doctor command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this machine can run labs, and say how to fix what is missing",
		Long: `Check what a lab provider needs on this machine. For each check doctor prints
ok, a warning, or a problem with how to fix it, and exits 1 when a lab
cannot run.

  local: Linux namespaces, the kube-apiserver executable, overlayfs
  kind:  a container engine that answers, memory, cgroup v2, the node image`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Provider, "provider", "local", "the provider to check: local or kind")
	flags.Output = cli.AddOutputFlag(cmd, "json")
	cmd.Flags().StringVar(&flags.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver executable the local provider would run")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	p, err := providers.Get(flags.Provider, providers.WithLogger(logger), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	checks := p.Preflight(ctx)
	rep := Report{Provider: flags.Provider, Ready: labs.Ready(checks), Checks: checks}
	if flags.Output.String() == "json" {
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeTable(streams.Out, rep)
	}
	if !rep.Ready {
		return cli.WithExitCode(cli.ExitFailed, nil)
	}
	return nil
}

// writeTable prints one row per check, with the fix under a check that is
// not ok, then a one-line verdict.
func writeTable(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	for _, c := range rep.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Check, strings.ToUpper(c.Status), c.Message)
		if c.Fix != "" && c.Status != labs.FindingOK {
			fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
		}
	}
	_ = tw.Flush()
	if rep.Ready {
		fmt.Fprintf(w, "\nThe %s provider can run labs here.\n", rep.Provider)
	} else {
		fmt.Fprintf(w, "\nThe %s provider cannot run labs here until the problems above are fixed.\n", rep.Provider)
	}
}

package lab

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local"
	"github.com/ckat/ckat/labs/providers"
)

type createFlags struct {
	Provider      string
	Config        string
	Wait          time.Duration
	KubeAPIServer string
}

func newCreateCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a lab: a control-plane node with etcd and kube-apiserver as static pods",
		Args:  nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return createLab(cmd.Context(), logger, args[0], flags)
		},
	}
	cmd.Flags().StringVar(&flags.Provider, "provider", providers.Default, "the provider: "+providerList())
	cmd.Flags().StringVar(&flags.Config, "config", "", "the kind cluster config a kind lab uses: single-control-plane (default), control-plane-and-two-workers or three-control-planes; the local provider ignores it")
	cmd.Flags().DurationVar(&flags.Wait, "wait", readyz.LabTimeout, "how long to wait for the API server to be ready")
	cmd.Flags().StringVar(&flags.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver executable the local provider runs (default: $"+local.KubeAPIServerEnv+", next to ckat, or on PATH)")
	return cmd
}

// createLab creates the lab called name. An interrupt (ctx cancelled)
// stops the creation and removes what it made.
func createLab(ctx context.Context, logger *log.Logger, name string, flags *createFlags) error {
	p, err := providers.Get(flags.Provider, providers.WithLogger(logger), providers.WithKubeAPIServer(flags.KubeAPIServer))
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	if _, err = p.Create(ctx, labs.CreateOptions{Name: name, Config: flags.Config, WaitReady: flags.Wait}); err != nil {
		return err
	}
	logger.V(0).Infof("Lab %q: 'ckat ssh --lab %s' opens a shell on its node", name, name)
	return nil
}

func providerList() string {
	s := ""
	for i, n := range providers.Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

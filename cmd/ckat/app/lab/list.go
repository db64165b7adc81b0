package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

// stateUnknown is shown for a lab whose provider cannot tell its state.
const stateUnknown labs.State = "unknown"

// NewListCommand returns `ckat lab list`.
func NewListCommand(streams cli.Streams) *cobra.Command {
	var output *cli.Output
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the labs, their state and their API servers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listLabs(cmd.Context(), streams, output.String())
		},
	}
	output = cli.AddOutputFlag(cmd, "json")
	return cmd
}

func listLabs(ctx context.Context, streams cli.Streams, output string) error {
	records, err := labs.List()
	if err != nil {
		return err
	}
	statuses := make([]labs.Status, 0, len(records))
	for _, rec := range records {
		statuses = append(statuses, statusOf(ctx, rec))
	}
	if output == "json" {
		data, _ := json.MarshalIndent(statuses, "", "  ")
		_, err := fmt.Fprintf(streams.Out, "%s\n", data)
		return err
	}
	if len(statuses) == 0 {
		fmt.Fprintln(streams.Err, "No labs. Start one with 'ckat start etcd-backup-restore'.")
		return nil
	}
	return printTable(streams.Out, statuses, time.Now())
}

// statusOf asks a lab's provider for its status; a lab it cannot read is
// listed as unknown with the reason.
func statusOf(ctx context.Context, rec labs.Record) labs.Status {
	unknown := func(err error) labs.Status {
		return labs.Status{Name: rec.Name, Provider: rec.Provider, State: stateUnknown, Created: rec.Created, Message: advice.Error(err).Error()}
	}
	p, err := providers.ForRecord(rec)
	if err != nil {
		return unknown(err)
	}
	lab, err := p.Get(ctx, rec.Name)
	if err != nil {
		return unknown(err)
	}
	s, err := lab.Status(ctx)
	if err != nil {
		return unknown(err)
	}
	return advice.Status(s)
}

// printTable prints one row per lab, then the message of every lab that
// does not run.
func printTable(w io.Writer, statuses []labs.Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tSTATE\tNODE\tAPI-SERVER\tAGE")
	for _, s := range statuses {
		api := s.APIServer
		if api == "" {
			api = "-"
		}
		node := s.Node
		if node == "" {
			node = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Provider, s.State, node, api, duration.HumanDuration(now.Sub(s.Created)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range statuses {
		if s.Message != "" {
			fmt.Fprintf(w, "%s is %s: %s\n", s.Name, s.State, s.Message)
		}
	}
	return nil
}

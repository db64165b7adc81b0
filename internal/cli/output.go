package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// OutputText is the human format: the default of every -o/--output flag.
const OutputText = "text"

// outputAliases are other spellings of a format, accepted but not listed.
var outputAliases = map[string]string{"table": OutputText}

// Output is the value of a command's -o/--output flag: text or one of the
// other formats the command writes. A value outside them fails as the flag
// is parsed, naming the formats the command has, with ExitCannotRun.
type Output struct {
	value   string
	formats []string
}

// AddOutputFlag registers -o/--output on cmd: text (the default, also
// spelt table) or one of formats.
func AddOutputFlag(cmd *cobra.Command, formats ...string) *Output {
	o := &Output{value: OutputText, formats: append([]string{OutputText}, formats...)}
	cmd.Flags().VarP(o, "output", "o", "output format: "+o.choices())
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(o.formats, cobra.ShellCompDirectiveNoFileComp))
	return o
}

// String is the chosen format's canonical name.
func (o *Output) String() string { return o.value }

// Type names the flag's value in help.
func (o *Output) Type() string { return "format" }

// Set chooses a format; pflag calls it while parsing.
func (o *Output) Set(s string) error {
	f := s
	if a, ok := outputAliases[f]; ok {
		f = a
	}
	if !slices.Contains(o.formats, f) {
		return WithExitCode(ExitCannotRun, fmt.Errorf("want %s", o.choices()))
	}
	o.value = f
	return nil
}

// choices lists the formats: "text, json or junit".
func (o *Output) choices() string {
	n := len(o.formats)
	if n == 1 {
		return o.formats[0]
	}
	return strings.Join(o.formats[:n-1], ", ") + " or " + o.formats[n-1]
}

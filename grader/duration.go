package grader

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	yamlv3 "gopkg.in/yaml.v3"
)

// String formats d as scenarios write it: whole seconds as "90s" (not
// "1m30s"), anything finer as Go does.
func (d Duration) String() string {
	if d.Duration%time.Second == 0 {
		return strconv.FormatInt(int64(d.Duration/time.Second), 10) + "s"
	}
	return d.Duration.String()
}

// MarshalJSON writes d as a string such as "90s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a duration string such as "90s" or "1m30s". A bare
// number is refused: its unit would be a guess.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("want a duration such as \"90s\", got %s", data)
	}
	return d.parse(s)
}

// MarshalYAML writes d as a string such as "90s".
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}

// UnmarshalYAML reads a duration string such as "90s" (yaml.v3).
func (d *Duration) UnmarshalYAML(n *yamlv3.Node) error {
	if n.Kind != yamlv3.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf("line %d: want a duration such as \"90s\", got %s", n.Line, n.Value)
	}
	return d.parse(n.Value)
}

func (d *Duration) parse(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"90s\", got %q", s)
	}
	if v < 0 {
		return fmt.Errorf("want a positive duration such as \"90s\", got %q", s)
	}
	d.Duration = v
	return nil
}

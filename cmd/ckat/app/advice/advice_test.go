package advice

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ckat/ckat/labs"
)

func TestError(t *testing.T) {
	notFound := labs.WithRemedy(fmt.Errorf("%w: no lab called %q", labs.ErrNotFound, "x"), labs.RemedyList, "")
	tests := []struct {
		err  error
		want string
	}{
		{notFound, `lab not found: no lab called "x" (see 'ckat lab list')`},
		{fmt.Errorf("opening: %w", notFound), `opening: lab not found: no lab called "x" (see 'ckat lab list')`},
		{labs.WithRemedy(errors.New(`lab "a" already exists`), labs.RemedyDelete, "a"), `lab "a" already exists: delete it with 'ckat delete --lab a'`},
		{labs.WithRemedy(errors.New(`lab "a" is not running`), labs.RemedyStart, "a"), `lab "a" is not running: start it with 'ckat lab start a'`},
		{&labs.RemedyError{Err: errors.New("cannot create kind lab"), Remedy: labs.RemedyDoctor, Provider: "kind"}, "cannot create kind lab (see 'ckat doctor --provider kind')"},
		{errors.New("plain"), "plain"},
	}
	for _, tt := range tests {
		got := Error(tt.err)
		if got.Error() != tt.want {
			t.Errorf("Error(%q) = %q, want %q", tt.err, got, tt.want)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("Error(%q) does not wrap it", tt.err)
		}
	}
}

func TestStatus(t *testing.T) {
	s := Status(labs.Status{Name: "a", State: labs.StateStopped, Remedy: labs.RemedyStart})
	if s.Message != "start it with 'ckat lab start a'" {
		t.Errorf("stopped lab's message = %q", s.Message)
	}
	s = Status(labs.Status{Name: "a", State: labs.StateDead, Message: "its node container n is gone", Remedy: labs.RemedyDelete})
	if s.Message != "its node container n is gone: delete it with 'ckat delete --lab a'" {
		t.Errorf("dead lab's message = %q", s.Message)
	}
}

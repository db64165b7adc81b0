// Package testbin finds the executables `make build` puts in bin/ (ckat,
// ckat-shim, kube-apiserver and its two other names) for the tests that
// run them. `make test` sets CKAT_BIN_DIR; a plain `go test` uses the
// module's bin/.
package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar names the directory of the executables under test.
const EnvVar = "CKAT_BIN_DIR"

// dir is $CKAT_BIN_DIR, or the module's bin/, as an absolute path.
func dir() (string, error) {
	d := os.Getenv(EnvVar)
	if d == "" {
		_, file, _, _ := runtime.Caller(0)
		d = filepath.Join(filepath.Dir(file), "..", "..", "bin")
	}
	return filepath.Abs(d)
}

// Find returns the path of the executable name under test, or an error
// that says how to build it.
func Find(name string) (string, error) {
	d, err := dir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(d, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing in %s: run make build (or set %s)", name, d, EnvVar)
	}
	return p, nil
}

// Path returns the path of the executable name under test, failing tb
// when it is missing.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	p, err := Find(name)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Ckat returns the path of the ckat under test.
func Ckat(tb testing.TB) string {
	tb.Helper()
	return Path(tb, "ckat")
}

// Dir returns the directory of the executables under test, failing tb
// when one of exes is not there.
func Dir(tb testing.TB, exes ...string) string {
	tb.Helper()
	for _, exe := range exes {
		Path(tb, exe)
	}
	d, err := dir()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

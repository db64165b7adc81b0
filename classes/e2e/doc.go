// Package e2e holds the end-to-end tests and benchmarks of classes: they
// run the real bin/ckat (from $CKAT_BIN_DIR, else the repository's bin/)
// to make classes of real local labs in a temporary CKAT_HOME. They skip
// only under go test -short.
package e2e

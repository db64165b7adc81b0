// Package e2e holds the local provider's end-to-end tests and benchmarks:
// they run the real bin/ckat (from $CKAT_BIN_DIR, else the repository's
// bin/) against real labs in a temporary CKAT_HOME. They skip only under
// go test -short.
package e2e

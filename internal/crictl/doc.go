// Package crictl is cri-tools' crictl (sigs.k8s.io/cri-tools/cmd/crictl),
// the upstream client, run inside ckat's multi-call binary.
//
// Upstream keeps crictl's whole command tree unexported in a main
// package, which Go cannot import, and cri-tools exports no piece of it
// (its pkg/ holds only the configuration file, tracing and test
// framework). So the zz_*.go files are the upstream package's non-test
// files as the module version in go.mod has them, with two changes: the
// package clause, and main renamed to Main. TestUpstreamCopy checks them
// against the module cache; after changing cri-tools' version in go.mod,
// regenerate them with
//
//	go generate ./internal/crictl
package crictl

//go:generate go test -run TestUpstreamCopy -update .

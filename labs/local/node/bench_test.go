package node

import (
	"context"
	"testing"

	"github.com/ckat/ckat/labs"
)

// BenchmarkStart measures starting a node until its agent runs, and
// killing it.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		n := startNode(b, b.TempDir(), "172.30.15.10")
		n.kill(b)
	}
}

// BenchmarkExec measures running `true` on a node through nsenter.
func BenchmarkExec(b *testing.B) {
	n := startNode(b, b.TempDir(), "172.30.16.10")
	for b.Loop() {
		if err := n.node.Exec(context.Background(), labs.Command{Args: []string{"true"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFile measures reading a file through the node's root.
func BenchmarkReadFile(b *testing.B) {
	n := startNode(b, b.TempDir(), "172.30.17.10")
	for b.Loop() {
		if _, err := n.node.ReadFile(context.Background(), "/etc/hosts"); err != nil {
			b.Fatal(err)
		}
	}
}

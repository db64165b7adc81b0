package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/agent"
	"github.com/ckat/ckat/labs/local/systemd"
)

// The test binary is also the node's ckat: TestMain runs it as PID 1
// (__node), as a stand-in kubelet (run as /usr/bin/kubelet by PID 1), as
// systemctl and journalctl, and as a probe run on the node through Exec
// (__probe).
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "kubelet":
		os.Exit(standInAgent())
	case "systemctl":
		os.Exit(systemd.Systemctl(os.Args[1:], os.Stdout, os.Stderr))
	case "journalctl":
		os.Exit(systemd.Journalctl(os.Args[1:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case InitCommand:
			stopTimeout = testStopTimeout
			err := Init(os.Args[2:])
			var ee *cli.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.Err == nil) {
				fmt.Fprintf(os.Stderr, "ckat: %v\n", err)
			}
			os.Exit(cli.ExitCode(err))
		case "__probe":
			os.Exit(probe(os.Args[2:]))
		case "__ttyexec":
			os.Exit(ttyExec(os.Args[2:]))
		case "__startnode":
			os.Exit(startAndLeave(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

// agentExitFile, when it appears on the node, makes the stand-in agent
// exit with the status it holds.
const agentExitFile = "/run/ckat/agent-exit"

// agentStubbornFile, when it exists on the node, makes the stand-in agent
// ignore SIGTERM.
const agentStubbornFile = "/run/ckat/agent-stubborn"

// testStopTimeout replaces stopTimeout in this binary's PID 1.
const testStopTimeout = 2 * time.Second

// agentReadyFile appears on the node once the stand-in agent listens.
const agentReadyFile = "/run/ckat/agent-ready"

// standInAgent checks the agent's configuration, answers on the node's
// 6443 and 2379 with "PORT HOSTNAME\n" followed by an echo of what it
// reads, keeps a child that never exits, and stops on SIGTERM or
// agentExitFile (which it removes).
func standInAgent() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	if _, err := agent.ReadConfig(AgentConfigFile); err != nil {
		fmt.Fprintf(os.Stderr, "stand-in agent: %v\n", err)
		return 2
	}
	hostname, _ := os.Hostname()
	for _, port := range []int{kubeadm.KubeAPIServerPort, kubeadm.EtcdListenClientPort} {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			fmt.Fprintf(os.Stderr, "stand-in agent: %v\n", err)
			return 3
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					fmt.Fprintf(c, "%d %s\n", port, hostname)
					buf := make([]byte, 4096)
					for {
						n, err := c.Read(buf)
						if n > 0 {
							_, _ = c.Write(buf[:n])
						}
						if err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	sleeper := exec.Command("sleep", "3600")
	_ = sleeper.Start()
	if err := os.WriteFile(agentReadyFile, nil, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "stand-in agent: %v\n", err)
		return 3
	}
	tick := time.NewTicker(50 * time.Millisecond)
	for {
		select {
		case <-sigs:
			if _, err := os.Stat(agentStubbornFile); err == nil {
				fmt.Println("stand-in agent: ignoring SIGTERM")
				continue
			}
			fmt.Println("stand-in agent: stopping")
			return 0
		case <-tick.C:
			if data, err := os.ReadFile(agentExitFile); err == nil {
				code, _ := strconv.Atoi(strings.TrimSpace(string(data)))
				_ = os.Remove(agentExitFile)
				_ = os.Remove(agentReadyFile)
				return code
			}
		}
	}
}

// probe reports what a process on the node sees.
func probe(args []string) int {
	if len(args) == 0 {
		return 2
	}
	switch args[0] {
	case "addrs":
		ifc, err := net.InterfaceByName("lo")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		addrs, _ := ifc.Addrs()
		fmt.Printf("flags=%s", ifc.Flags)
		for _, a := range addrs {
			fmt.Printf(" %s", a)
		}
		fmt.Println()
	case "dial":
		c, err := net.DialTimeout("tcp", args[1], 2*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Print(line)
		c.Close()
	default:
		return 2
	}
	return 0
}

// ttyExec runs a command on node PID with TTY set, as ckat ssh does, and
// exits with its status.
func ttyExec(args []string) int {
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return 2
	}
	err = New("controlplane", pid).Exec(context.Background(), labs.Command{Args: args[1:], TTY: true})
	var ee *labs.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startAndLeave starts a node for LABDIR with address IP, prints its PID
// and exits, as `ckat lab create` does.
func startAndLeave(args []string) int {
	var lns [2]*net.TCPListener
	for i := range lns {
		ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		lns[i] = ln
	}
	self, _ := os.Executable()
	pid, err := Start(Options{LabDir: args[0], NodeName: "controlplane", NodeIP: args[1], CkatPath: self,
		APIListener: lns[0], EtcdListener: lns[1], LogFile: filepath.Join(args[0], "node.log")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d %s\n", pid, lns[0].Addr())
	return 0
}

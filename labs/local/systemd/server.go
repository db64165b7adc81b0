package systemd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SocketPath is where the node's PID 1 answers systemctl.
const SocketPath = "/run/ckat/systemd.sock"

// request is one systemctl call: a verb for the kubelet's unit.
type request struct {
	Verb string `json:"verb"` // start, stop, restart, status, daemon-reload
}

// response is the answer: the unit's status after the verb, or an error
// as systemctl prints it.
type response struct {
	Status *Status `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Serve answers systemctl on SocketPath until the listener fails.
func (m *Manager) Serve() error {
	if err := os.MkdirAll(filepath.Dir(SocketPath), 0o755); err != nil {
		return err
	}
	_ = os.Remove(SocketPath)
	ln, err := net.Listen("unix", SocketPath)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", SocketPath, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serve(c)
		}
	}()
	return nil
}

func (m *Manager) serve(c net.Conn) {
	defer c.Close()
	var req request
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		return
	}
	var err error
	switch req.Verb {
	case "start":
		err = m.Start()
	case "stop":
		err = m.Stop(TimeoutStopSec)
	case "restart":
		err = m.Restart()
	case "daemon-reload":
		err = m.Reload()
	case "status":
	default:
		err = fmt.Errorf("unknown verb %q", req.Verb)
	}
	var resp response
	if err != nil {
		resp.Error = err.Error()
	}
	if st, ok := m.Status(); ok {
		resp.Status = &st
	}
	_ = json.NewEncoder(c).Encode(resp)
}

// call sends a verb to the node's PID 1.
func call(verb string) (*Status, error) {
	c, err := net.DialTimeout("unix", SocketPath, 2*time.Second)
	if err != nil {
		return nil, errors.New("System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down")
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(request{Verb: verb}); err != nil {
		return nil, err
	}
	var resp response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("Failed to %s: %v", verb, err)
	}
	if resp.Error != "" {
		return resp.Status, errors.New(resp.Error)
	}
	return resp.Status, nil
}

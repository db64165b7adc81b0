package node

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ckat/ckat/internal/log"
)

// forward accepts connections on ln (a socket of the host's network
// namespace) and copies each to a new connection to target, dialled from
// PID 1 in the node's network namespace. It returns when ln is closed.
func forward(ln net.Listener, target string, logger *log.Logger) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			logger.Warnf("forwarding to %s: %v", target, err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go proxy(conn, target, logger)
	}
}

// proxy copies bytes both ways between client and a new connection to
// target, half-closing each direction as its source ends.
func proxy(client net.Conn, target string, logger *log.Logger) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		logger.V(2).Infof("forwarding to %s: %v", target, err)
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	wg.Add(2)
	go pipe(server, client)
	go pipe(client, server)
	wg.Wait()
}

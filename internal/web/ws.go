package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/ckat/ckat/classes"
)

// control is a text message between the terminal's page and the server:
// from the page, {"type":"resize"} with the page's size (binary messages
// are keystrokes); to the page, {"type":"size"} with the terminal's size
// (binary messages are output).
type control struct {
	Type string `json:"type"`
	Cols int    `json:"cols"`
	Rows int    `json:"rows"`
}

// maxMessage bounds a message from the page (a paste).
const maxMessage = 1 << 20

// serveTerminal connects a WebSocket to lab's shell: output to the page,
// and, unless readOnly, keystrokes and resizes back.
func (s *Server) serveTerminal(w http.ResponseWriter, r *http.Request, class *classes.Class, l classes.Learner, readOnly bool) {
	// The wrappers checked Origin; Accept checks it again.
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxMessage)
	// A frozen lab thaws before its shell starts.
	err = class.Thaw(r.Context(), l.Name)
	var c *client
	if err == nil {
		c, err = s.terms.attach(l.Lab)
	}
	if err != nil {
		s.opts.Logger.Errorf("terminal on lab %s: %v", l.Lab, err)
		conn.Close(websocket.StatusInternalError, "the terminal could not start")
		return
	}
	defer c.detach()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go s.readTerminal(ctx, cancel, conn, c, class, l, readOnly)
	for {
		select {
		case f, ok := <-c.out:
			if !ok {
				conn.Close(websocket.StatusNormalClosure, "the shell ended")
				return
			}
			typ, p := websocket.MessageBinary, f.Output
			if p == nil {
				typ = websocket.MessageText
				p, _ = json.Marshal(control{Type: "size", Cols: f.Cols, Rows: f.Rows})
			}
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Write(wctx, typ, p)
			wcancel()
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// readTerminal passes the page's keystrokes and resizes to the shell,
// each of them the learner's activity (which thaws a lab frozen for being
// idle); a read-only page's are dropped. It cancels ctx when the page goes.
func (s *Server) readTerminal(ctx context.Context, cancel func(), conn *websocket.Conn, c *client, class *classes.Class, l classes.Learner, readOnly bool) {
	defer cancel()
	for {
		typ, p, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if readOnly {
			continue
		}
		s.activity(ctx, class, l)
		if typ == websocket.MessageBinary {
			if err := c.write(p); err != nil {
				return
			}
			continue
		}
		var m control
		if json.Unmarshal(p, &m) != nil || m.Type != "resize" {
			continue
		}
		if err := c.resize(m.Cols, m.Rows); err != nil {
			s.opts.Logger.V(1).Infof("terminal resize: %v", err)
		}
	}
}

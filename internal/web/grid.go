package web

import (
	"context"
	"sync"
	"time"

	"github.com/ckat/ckat/classes"
)

// hub tells a class's watchers that something changed: wait returns a
// channel that the class's next notify closes.
type hub struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
	done    chan struct{}
}

func newHub() *hub { return &hub{waiting: map[string]chan struct{}{}, done: make(chan struct{})} }

func (h *hub) wait(class string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.waiting[class]
	if ch == nil {
		ch = make(chan struct{})
		h.waiting[class] = ch
	}
	return ch
}

func (h *hub) notify(class string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch := h.waiting[class]; ch != nil {
		close(ch)
		delete(h.waiting, class)
	}
}

// close ends every watcher (the server shuts down).
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
	default:
		close(h.done)
	}
}

// Grid is the instructor's view of a class: a row per learner, a column
// per check of the learners' latest grades.
type Grid struct {
	Class  string    `json:"class"`
	Checks []string  `json:"checks"`
	Rows   []GridRow `json:"rows"`
}

// GridRow is one learner's row.
type GridRow struct {
	Learner string `json:"learner"`
	Lab     string `json:"lab"`
	// State is the lab's life state (running, stopped, dead, missing),
	// Message why it is not running.
	State       string `json:"state"`
	Message     string `json:"message,omitempty"`
	Frozen      bool   `json:"frozen"`
	Stage       string `json:"stage"`
	StageNumber int    `json:"stageNumber"`
	Stages      int    `json:"stages"`
	// Graded is false until the learner's first grade; then Score,
	// MaxScore and LastGrade (Unix milliseconds) are its latest.
	Graded    bool  `json:"graded"`
	Score     int   `json:"score"`
	MaxScore  int   `json:"maxScore"`
	LastGrade int64 `json:"lastGrade"`
	Hints     int   `json:"hints"`
	// Cells are the latest grade's checks, by check name: "pass", "fail"
	// or "error".
	Cells map[string]string `json:"cells"`
	// Messages are those checks' one-line verdicts, shown as the cells'
	// tooltips: which check a learner is stuck on, and why.
	Messages map[string]string `json:"messages"`
}

// grid builds a class's grid from its status (classes.Class.Status).
func (s *Server) grid(ctx context.Context, c *classes.Class) (Grid, error) {
	status, err := c.Status(ctx)
	if err != nil {
		return Grid{}, err
	}
	g := Grid{Class: c.Name, Checks: []string{}, Rows: make([]GridRow, 0, len(status))}
	seen := map[string]bool{}
	for _, st := range status {
		row := GridRow{
			Learner: st.Learner, Lab: st.Lab, State: string(st.State), Message: st.Message, Frozen: st.Frozen,
			Stage: st.Stage, StageNumber: st.StageNumber, Stages: st.Stages, Hints: st.HintsUsed,
			Cells: map[string]string{}, Messages: map[string]string{},
		}
		if lg := st.LastGrade; lg != nil {
			row.Graded, row.Score, row.MaxScore, row.LastGrade = true, lg.Score, lg.MaxScore, lg.Time.UnixMilli()
			for _, ch := range lg.Checks {
				row.Cells[ch.Name] = string(ch.Status)
				if ch.Message != "" {
					row.Messages[ch.Name] = ch.Message
				}
				if !seen[ch.Name] {
					seen[ch.Name] = true
					g.Checks = append(g.Checks, ch.Name)
				}
			}
		}
		g.Rows = append(g.Rows, row)
	}
	return g, nil
}

// gridRefresh is how often the grid is sent even when nothing was graded:
// labs' states change by themselves.
const gridRefresh = 10 * time.Second

// watchGrid calls send with the class's grid now, within the poll interval
// of any grade or hint (this server's, or a command's), and every
// gridRefresh, until ctx ends or send fails. The class is read again each
// time, so learners added meanwhile appear.
func (s *Server) watchGrid(ctx context.Context, name string, send func(Grid) error) error {
	var last time.Time
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	refresh := time.NewTicker(gridRefresh)
	defer refresh.Stop()
	for {
		changed := s.hub.wait(name)
		c, err := s.opts.Store.Open(name)
		if err != nil {
			return err
		}
		last = c.LastRecorded()
		g, err := s.grid(ctx, c)
		if err != nil {
			return err
		}
		if err := send(g); err != nil {
			return err
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-s.hub.done:
				return nil
			case <-changed:
				break wait
			case <-refresh.C:
				break wait
			case <-poll.C:
				if t := c.LastRecorded(); !t.Equal(last) {
					break wait
				}
			}
		}
	}
}

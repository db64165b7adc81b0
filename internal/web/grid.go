package web

import (
	"context"
	"sync"
	"time"
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
	// State is the lab's life state; "unknown" when it could not be read.
	State       string `json:"state"`
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
	// Messages are the checks' messages, by check name.
	Messages map[string]string `json:"messages"`
}

// grid builds a class's grid from the store and the labs.
func (s *Server) grid(ctx context.Context, class string) (Grid, error) {
	ls, err := s.opts.Store.Learners(class)
	if err != nil {
		return Grid{}, err
	}
	g := Grid{Class: class, Checks: []string{}, Rows: make([]GridRow, 0, len(ls))}
	seen := map[string]bool{}
	for _, l := range ls {
		row := GridRow{Learner: l.Name, Lab: l.Lab, State: "unknown", Cells: map[string]string{}, Messages: map[string]string{}}
		if st, err := s.opts.Actions.State(ctx, l.Lab); err == nil {
			row.State = st
		}
		if st, err := s.opts.Actions.Task(ctx, l.Lab); err == nil {
			row.Stage, row.StageNumber, row.Stages = st.Name, st.Number, st.Of
		}
		if n, err := s.opts.Store.HintsUsed(l); err == nil {
			row.Hints = n
		}
		grades, err := s.opts.Store.Grades(l)
		if err != nil {
			return Grid{}, err
		}
		if len(grades) > 0 {
			last := grades[len(grades)-1]
			row.Graded = true
			row.Score, row.MaxScore = last.Report.Score, last.Report.MaxScore
			row.LastGrade = last.Time.UnixMilli()
			for _, c := range last.Report.Checks {
				row.Cells[c.Name] = string(c.Status)
				row.Messages[c.Name] = c.Message
				if !seen[c.Name] {
					seen[c.Name] = true
					g.Checks = append(g.Checks, c.Name)
				}
			}
		}
		g.Rows = append(g.Rows, row)
	}
	return g, nil
}

// gridRefresh is how often the grid is sent even when nothing was graded:
// labs' states and the time since each grade change by themselves.
const gridRefresh = 10 * time.Second

// watchGrid calls send with the class's grid now, within the poll interval
// of any grade or hint (this server's, or a command's), and every
// gridRefresh, until ctx ends or send fails.
func (s *Server) watchGrid(ctx context.Context, class string, send func(Grid) error) error {
	last := s.opts.Store.LastRecorded(class)
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	refresh := time.NewTicker(gridRefresh)
	defer refresh.Stop()
	for {
		changed := s.hub.wait(class)
		g, err := s.grid(ctx, class)
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
				if t := s.opts.Store.LastRecorded(class); !t.Equal(last) {
					last = t
					break wait
				}
			}
		}
	}
}

package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckat/ckat/classes"
)

// BenchmarkGridWhileClassGrades measures the instructor's live grid while
// every learner of a class presses Grade at once: $CKAT_BENCH_LEARNERS
// learners (4 by default; README's figure is for 30), each on a real local
// lab of etcd-backup-restore that waits frozen, as `ckat class create`
// leaves it, until the grade thaws it. grid-lag-s is the longest time
// from a learner's grade answer to the first grid event that shows that
// grade (the target: within 2 s), grade-s the longest grade answer, and
// all-s the time until the grid showed every grade.
func BenchmarkGridWhileClassGrades(b *testing.B) {
	n := 4
	if v, err := strconv.Atoi(os.Getenv("CKAT_BENCH_LEARNERS")); err == nil && v > 0 {
		n = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	names := classes.NumberedLearners(n)
	lc := newLiveClass(b, ctx, "bench", "etcd-backup-restore", Options{}, names...)
	// As ckat serve does.
	if msg, err := RaisePriority(); err != nil {
		b.Logf("the server keeps its CPU share: %v", err)
	} else {
		b.Log(msg)
	}
	instructor := benchClient(b, lc, classes.InstructorPath(lc.instructor))
	grids := watchGrids(b, ctx, instructor, lc.url+instructorRoot+"api/events")
	learners := make([]*http.Client, n)
	for i, name := range names {
		learners[i] = benchClient(b, lc, classes.LearnerPath(lc.tokens[name]))
	}
	var lagMax, gradeMax, allMax time.Duration
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		answered := make([]time.Time, n)
		var wg sync.WaitGroup
		for i := range names {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, lc.url+learnerRoot+"api/grade", nil)
				req.Header.Set("Origin", lc.url)
				resp, err := learners[i].Do(req)
				if err != nil {
					b.Errorf("%s's grade: %v", names[i], err)
					return
				}
				resp.Body.Close()
				answered[i] = time.Now()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("%s's grade: HTTP %d", names[i], resp.StatusCode)
				}
			})
		}
		wg.Wait()
		b.Logf("grades answered after %s", answeredAfter(began, answered))
		if b.Failed() {
			b.FailNow()
		}
		for i, name := range names {
			shown, ok := grids.shown(name, began, 30*time.Second)
			if !ok {
				b.Fatalf("the grid did not show %s's grade within 30 s of the round (at %d ms): %s", name, began.UnixMilli(), grids.last(name))
			}
			lagMax = max(lagMax, shown.Sub(answered[i]))
			gradeMax = max(gradeMax, answered[i].Sub(began))
			allMax = max(allMax, shown.Sub(began))
		}
	}
	b.StopTimer()
	b.ReportMetric(lagMax.Seconds(), "grid-lag-s")
	b.ReportMetric(gradeMax.Seconds(), "grade-s")
	b.ReportMetric(allMax.Seconds(), "all-s")
	b.ReportMetric(float64(n), "learners")
}

// benchClient is an HTTP client holding the cookie that link sets.
func benchClient(b *testing.B, lc *liveClass, link string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(lc.url + link)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return c
}

// gridEvents are the grids the instructor's event stream sent, with the
// time each arrived.
type gridEvents struct {
	mu     sync.Mutex
	at     []time.Time
	grids  []Grid
	change chan struct{}
}

// watchGrids reads the instructor's grid events until ctx ends.
func watchGrids(b *testing.B, ctx context.Context, c *http.Client, url string) *gridEvents {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("the grid's events: %v %v", err, resp)
	}
	g := &gridEvents{change: make(chan struct{}, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var grid Grid
			if json.Unmarshal([]byte(data), &grid) != nil {
				continue
			}
			g.mu.Lock()
			g.at, g.grids = append(g.at, time.Now()), append(g.grids, grid)
			g.mu.Unlock()
			select {
			case g.change <- struct{}{}:
			default:
			}
		}
	}()
	return g
}

// shown returns when a grid event first showed a grade of learner made
// at or after since, waiting up to timeout for it.
func (g *gridEvents) shown(learner string, since time.Time, timeout time.Duration) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		g.mu.Lock()
		for i, grid := range g.grids {
			j := slices.IndexFunc(grid.Rows, func(r GridRow) bool { return r.Learner == learner })
			if j >= 0 && grid.Rows[j].Graded && grid.Rows[j].LastGrade >= since.UnixMilli() {
				g.mu.Unlock()
				return g.at[i], true
			}
		}
		g.mu.Unlock()
		select {
		case <-g.change:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

// last describes learner's row in the last grid received, for a failure.
func (g *gridEvents) last(learner string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.grids) == 0 {
		return "no grid event came"
	}
	grid := g.grids[len(g.grids)-1]
	for _, r := range grid.Rows {
		if r.Learner == learner {
			var at []string
			for _, t := range g.at {
				at = append(at, t.Format("15:04:05.000"))
			}
			return fmt.Sprintf("%d grid events (at %s), the last has %+v", len(g.grids), strings.Join(at, " "), r)
		}
	}
	return fmt.Sprintf("%d grid events, the last without %s", len(g.grids), learner)
}

// answeredAfter lists how long after began each grade answered, slowest
// last.
func answeredAfter(began time.Time, answered []time.Time) string {
	var d []time.Duration
	for _, a := range answered {
		d = append(d, a.Sub(began).Round(10*time.Millisecond))
	}
	slices.Sort(d)
	return fmt.Sprint(d)
}

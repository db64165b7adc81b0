package classes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
)

// Missing returns the names the class has no learner for, in order.
func (c *Class) Missing(names []string) []string {
	var out []string
	for _, n := range names {
		if _, err := c.Learner(n); err != nil {
			out = append(out, n)
		}
	}
	return out
}

// ProvisionOptions say how to make learners' labs.
type ProvisionOptions struct {
	Scenario *scenarios.Scenario
	Provider labs.Provider
	// Parallel is how many labs are made at once (labs.CreateParallel by
	// default).
	Parallel int
	// Logger receives each lab's own progress; nil discards it.
	Logger *log.Logger
	// Progress, when set, is called as each lab starts and ends; calls
	// come from several goroutines, one at a time.
	Progress func(Provisioned)
	// KeepRunning leaves each lab running once it is set up. By default a
	// lab whose provider can freeze it waits frozen, using no CPU, until
	// its learner first opens their page or a command reaches it: the
	// labs made first do not slow down those made after them, and a class
	// made before the lesson does not keep the machine busy until then.
	KeepRunning bool
}

// Provisioned is what became of one learner's lab.
type Provisioned struct {
	Learner string
	Lab     string
	// Done is false when the lab is starting, true when it ended.
	Done bool
	// Token is the learner's new token, set once the lab is ready.
	Token string
	// Frozen says the lab waits frozen until its learner comes.
	Frozen bool
	Err    error
	Took   time.Duration
}

// Provision makes a lab for each of names, up to opts.Parallel at once,
// sets the class's scenario up on it (with the class's seed, if any) and
// adds the learner with a new token. A lab whose creation fails is
// deleted, and the learner is not added: running Provision again tries
// again. A lab of the learner's name that exists but is no learner's is
// left alone and reported.
func (c *Class) Provision(ctx context.Context, names []string, opts ProvisionOptions) []Provisioned {
	parallel := opts.Parallel
	if parallel < 1 {
		parallel = labs.CreateParallel()
	}
	var mu sync.Mutex
	report := func(p Provisioned) {
		if opts.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			opts.Progress(p)
		}
	}
	out := make([]Provisioned, len(names))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			out[i] = Provisioned{Learner: name, Lab: LabName(c.Name, name), Done: true, Err: ctx.Err()}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			lab := LabName(c.Name, name)
			report(Provisioned{Learner: name, Lab: lab})
			began := time.Now()
			token, frozen, err := c.provisionOne(ctx, name, opts)
			out[i] = Provisioned{Learner: name, Lab: lab, Done: true, Token: token, Frozen: frozen, Err: err, Took: time.Since(began)}
			report(out[i])
		}()
	}
	wg.Wait()
	return out
}

// provisionOne makes and sets up one learner's lab, freezes it unless
// told otherwise, and adds the learner; it returns their token and
// whether the lab waits frozen.
func (c *Class) provisionOne(ctx context.Context, name string, opts ProvisionOptions) (token string, frozen bool, err error) {
	lab := LabName(c.Name, name)
	if err := labs.ValidateName(lab); err != nil {
		return "", false, err
	}
	if _, err := labs.ReadRecord(lab); err == nil {
		return "", false, labs.WithRemedy(fmt.Errorf("lab %q exists already and is no learner's of class %s", lab, c.Name), labs.RemedyDelete, lab)
	} else if !errors.Is(err, labs.ErrNotFound) {
		return "", false, err
	}
	s, err := session.Start(ctx, session.StartOptions{Scenario: opts.Scenario, Provider: opts.Provider, LabName: lab, Seed: c.Seed, Logger: opts.Logger})
	if err != nil {
		if s != nil && s.Lab != nil {
			// Not ctx: an interrupted creation still cleans up.
			if derr := opts.Provider.Delete(context.Background(), lab); derr != nil {
				err = fmt.Errorf("%w (and deleting the half-made lab: %v)", err, derr)
			}
		}
		return "", false, err
	}
	if f, ok := s.Lab.(labs.Freezer); ok && !opts.KeepRunning {
		// A lab that could not freeze is ready all the same: what did
		// stop resumes, and it runs as made (a nil Logger discards).
		if ferr := f.Freeze(ctx); ferr != nil {
			opts.Logger.Warnf("lab %s keeps running: %v", lab, ferr)
			_ = f.Thaw(ctx)
		} else {
			frozen = true
		}
	}
	_, token, err = c.AddLearner(name, lab, time.Now())
	return token, frozen, err
}

// Capacity is how many more labs this machine holds, by memory and by
// the inotify instances their kubelets and API servers watch files with.
type Capacity struct {
	// PerLab is the memory one running lab holds (labs.IdleMemory).
	PerLab int64
	// Available is MemAvailable from /proc/meminfo.
	Available int64
	// Fit is how many more labs Available holds.
	Fit int
	// InotifyLimit is fs.inotify.max_user_instances (0: unknown), and
	// InotifyInUse how many instances this user's processes hold.
	InotifyLimit, InotifyInUse int
}

// MachineCapacity measures this machine's capacity now.
func MachineCapacity() Capacity {
	cp := capacityOf(labs.MemAvailable())
	if limit, inUse, ok := labs.InotifyInstances(); ok {
		cp.InotifyLimit, cp.InotifyInUse = limit, inUse
	}
	return cp
}

func capacityOf(avail int64) Capacity {
	return Capacity{PerLab: labs.IdleMemory, Available: avail, Fit: int(avail / labs.IdleMemory)}
}

// Check refuses want more labs when they do not fit, with the arithmetic.
// An unknown Available (no /proc/meminfo) or inotify limit is not
// refused.
func (cp Capacity) Check(want int) error {
	if cp.Available > 0 && want > cp.Fit {
		return fmt.Errorf("this machine cannot hold %d more labs: each needs %s, and %s is available (MemAvailable in /proc/meminfo), which holds %d; make a smaller class or free memory",
			want, mib(cp.PerLab), mib(cp.Available), cp.Fit)
	}
	if cp.InotifyLimit > 0 {
		free := max(cp.InotifyLimit-cp.InotifyInUse, 0)
		if fit := free / labs.InotifyInstancesPerLab; want > fit {
			return fmt.Errorf("this machine cannot hold %d more labs: each lab's kubelet and control plane watch files with %d inotify instances, and fs.inotify.max_user_instances is %d with %d in use, which holds %d (past it, a kubelet sees a moved manifest only 20 s later); raise the limit with '%s' as root, or make a smaller class",
				want, labs.InotifyInstancesPerLab, cp.InotifyLimit, cp.InotifyInUse, fit, labs.InotifyRaise(cp.InotifyInUse, want))
		}
	}
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

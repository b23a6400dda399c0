package crash

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A scenario is a sequence of freezetrace commands run in a trial folder
// that starts as a copy of a starting state. Paths the commands write to
// are relative to the trial folder; inputs are absolute and shared.
type scenario struct {
	name  string
	steps [][]string // freezetrace arguments, one command line per step
	start string     // the starting state, copied into each trial folder
	env   []string   // the commands' environment

	db     string   // the database file in the trial folder ("" if none)
	files  []string // output files compared with the uninterrupted run's
	dirs   []string // output folders compared whole
	report string   // a report --out folder checked after each kill ("" if none)
	// watch is the folder the commands write into ("." for the trial
	// folder, "" for none): half the kills are timed by its changes.
	watch string
	// earlier is the report folder's content in the starting state (nil
	// when the folder starts absent): after a kill the folder may still
	// hold it.
	earlier tree
	// normalise rewrites an output file's run-dependent fields (nil:
	// compared byte for byte).
	normalise func(name string, b []byte) ([]byte, error)
	// states are the database contents a kill may leave when each file
	// of an import is stored whole or not at all (nil: not checked).
	states     []dbState
	stateNames []string // what each state is after
	// truth is every transfer the upstream holds, against which the
	// uninterrupted run's coverage is checked (nil: not checked).
	truth []xfer
}

// A problem is one failed check of a trial.
type problem struct {
	check  string // which check: "integrity_check", "duplicates", …
	detail string // what was found, with an example
}

func (p problem) String() string { return p.check + ": " + p.detail }

// result is what a scenario's trials came to.
type result struct {
	name        string
	seed        uint64
	runTime     time.Duration // the uninterrupted run's
	outputKills int           // kills timed by the changes under the watched folder
	kills       int           // runs SIGKILLed while running
	recoveries  int           // kills whose restart succeeded with every check passing
	failures    int           // kills with a failed check
	missed      int           // runs that ended before their kill time (not counted as kills)
	fromKilled  int           // kills of a run started on the state a killed run left
	byCheck     map[string]int
	examples    map[string][]string
	notes       map[string]int
	wall        time.Duration
}

// reference is what an uninterrupted run gives.
type reference struct {
	out     outputs
	index   *dbIndex      // the database's transfers and coverage (nil: no database)
	runTime time.Duration // the shorter of the two uninterrupted runs
	// changes is how many changes under the watched folder the shorter run
	// made (0: none watched), and writeTail how long it ran on after the
	// last of them.
	changes   int
	writeTail time.Duration
}

// runScenario runs the uninterrupted commands twice (the outputs, then the
// run time, and that the two agree), then kills runs until cfg.Kills runs
// were killed, checking each killed state and each restart.
func runScenario(t *testing.T, cfg config, sc *scenario) result {
	t.Helper()
	began := time.Now()
	seed := cfg.Seed ^ nameHash(sc.name)
	res := result{name: sc.name, seed: seed, byCheck: map[string]int{}, examples: map[string][]string{}, notes: map[string]int{}}
	t.Logf("%s: seed %d (CRASH_SEED=%d), %d kills", sc.name, seed, cfg.Seed, cfg.Kills)
	work := t.TempDir()
	ref := uninterrupted(t, sc, work)
	res.runTime = ref.runTime
	if sc.watch != "" {
		t.Logf("%s: uninterrupted run %v; %d changes seen under %s, the last %v before its end",
			sc.name, ref.runTime.Round(time.Millisecond), ref.changes, sc.watch, ref.writeTail.Round(time.Microsecond))
	} else {
		t.Logf("%s: uninterrupted run %v", sc.name, ref.runTime.Round(time.Millisecond))
	}

	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// A hung command fails its trial rather than the whole test binary.
	timeout := max(2*time.Minute, 20*ref.runTime)
	snapshot := filepath.Join(work, "killed-state")
	haveSnapshot := false
	for attempt := 0; res.kills < cfg.Kills; attempt++ {
		if attempt >= 4*cfg.Kills+20 {
			t.Fatalf("%s: only %d of %d runs killed after %d attempts: the runs end before their kill times", sc.name, res.kills, cfg.Kills, attempt)
		}
		// Every other kill hits a run started on the state the previous
		// killed run left: a killed run, then another, then the restart
		// must converge too.
		fromKilled := haveSnapshot && res.kills%2 == 1
		trial := filepath.Join(work, fmt.Sprintf("trial-%03d", attempt))
		from := sc.start
		if fromKilled {
			from = snapshot
		}
		if err := copyTree(from, trial); err != nil {
			t.Fatal(err)
		}
		// Half the kills fall anywhere in the run: a delay within the
		// measured run time. Where the writes are watched, three in eight
		// fall among them (right after a random one of the changes the
		// uninterrupted run made: a commit, a file written), and one in
		// eight after the last of them (a delay within the time the
		// uninterrupted run took from its last change to its end: the
		// final commit, rename, removal, close).
		p := plan{delay: time.Duration(rng.Int64N(int64(ref.runTime)))}
		if sc.watch != "" && ref.changes > 0 {
			switch r := rng.IntN(8); {
			case r == 7:
				p = plan{watch: sc.watch, progress: ref.changes, delay: time.Duration(rng.Int64N(int64(ref.writeTail) + 1))}
			case r >= 4:
				p = plan{watch: sc.watch, progress: 1 + rng.IntN(ref.changes)}
			}
		}
		k, err := runSteps(sc, trial, p, timeout)
		var probs []problem
		if err != nil {
			// A run that fails on its own before its kill time (on a
			// killed run's state, say) is a failed trial; one that ended
			// before it is no kill, and is drawn again.
			probs = append(probs, problem{"run before the kill", err.Error()})
		} else if k.step < 0 {
			res.missed++
			os.RemoveAll(trial)
			continue
		}
		res.kills++
		if fromKilled {
			res.fromKilled++
		}
		if p.watch != "" {
			res.outputKills++
		}
		probs = append(probs, checkKilled(sc, trial, ref, &res)...)
		os.RemoveAll(snapshot)
		if err := copyTree(trial, snapshot); err != nil {
			t.Fatal(err)
		}
		haveSnapshot = true
		if _, err := runSteps(sc, trial, plan{delay: -1}, timeout); err != nil {
			probs = append(probs, problem{"restart", err.Error()})
		} else {
			probs = append(probs, checkRestarted(sc, trial, ref, &res)...)
		}
		state := "fresh"
		if fromKilled {
			state = "killed"
		}
		verdict := "recovered"
		if len(probs) > 0 {
			res.failures++
			verdict = fmt.Sprintf("FAILED (%d problems)", len(probs))
			seen := map[string]bool{}
			for _, p := range probs {
				if !seen[p.check] {
					seen[p.check] = true
					res.byCheck[p.check]++
				}
				if len(res.examples[p.check]) < 3 {
					res.examples[p.check] = append(res.examples[p.check], fmt.Sprintf("kill %d: %s", res.kills, p.detail))
				}
			}
		} else {
			res.recoveries++
		}
		where := "the run failed on its own"
		if k.step >= 0 {
			where = fmt.Sprintf("SIGKILL %v into step %d/%d (%s)", k.at.Round(time.Millisecond), k.step+1, len(sc.steps), shortArgs(sc.steps[k.step]))
			if p.watch != "" {
				where += fmt.Sprintf(", %v after change %d under %s", p.delay.Round(time.Microsecond), p.progress, p.watch)
			}
		}
		t.Logf("%s: kill %d: %s state, %s: %s", sc.name, res.kills, state, where, verdict)
		for _, p := range probs {
			t.Logf("    %s", p)
		}
		os.RemoveAll(trial)
	}
	res.wall = time.Since(began)
	t.Logf("%s: seed %d: %d kills (%d on a killed run's state, %d timed by the writes), %d recoveries, %d failures; %d runs ended before their kill; %v",
		sc.name, res.seed, res.kills, res.fromKilled, res.outputKills, res.recoveries, res.failures, res.missed, res.wall.Round(time.Second))
	for _, c := range sortedKeys(res.byCheck) {
		t.Errorf("%s: check %q failed after %d of %d kills (seed %d), e.g.:\n  %s",
			sc.name, c, res.byCheck[c], res.kills, res.seed, strings.Join(res.examples[c], "\n  "))
	}
	for _, n := range sortedKeys(res.notes) {
		t.Logf("%s: note: %s (%d kills)", sc.name, n, res.notes[n])
	}
	return res
}

// uninterrupted runs the scenario to completion twice from the starting
// state: the first run gives the reference outputs, and both must give the
// same; the shorter one's run time bounds the kill delays.
func uninterrupted(t *testing.T, sc *scenario, work string) reference {
	t.Helper()
	var ref reference
	for i := range 2 {
		dir := filepath.Join(work, fmt.Sprintf("uninterrupted-%d", i+1))
		if err := copyTree(sc.start, dir); err != nil {
			t.Fatal(err)
		}
		k, err := runSteps(sc, dir, plan{delay: -1, watch: sc.watch}, 5*time.Minute)
		if err != nil {
			t.Fatalf("%s: uninterrupted run: %v", sc.name, err)
		}
		if i == 0 || k.at < ref.runTime {
			ref.runTime, ref.changes, ref.writeTail = k.at, k.changes, max(k.at-k.lastChange, 0)
		}
		out, err := collect(sc, dir)
		if err != nil {
			t.Fatalf("%s: uninterrupted run: %v", sc.name, err)
		}
		if i == 0 {
			ref.out = out
			if sc.db != "" {
				if ref.index, err = loadIndex(filepath.Join(dir, sc.db)); err != nil {
					t.Fatalf("%s: uninterrupted run: %v", sc.name, err)
				}
				for _, p := range checkDB(filepath.Join(dir, sc.db), ref.index) {
					t.Errorf("%s: uninterrupted run: %s", sc.name, p)
				}
				if sc.truth != nil {
					for _, p := range coverageAgainst(ref.index, sc.truth) {
						t.Errorf("%s: uninterrupted run against the node's transfers: %s", sc.name, p)
					}
				}
			}
			if sc.report != "" {
				// A report written over another must be complete by its
				// own manifest, with nothing of the other left.
				if msg := manifestProblem(out.tree("dir/" + sc.report)); msg != "" {
					t.Errorf("%s: uninterrupted run: report folder: %s", sc.name, msg)
				}
			}
		} else if ps := compareOutputs(ref.out, out); len(ps) > 0 {
			t.Fatalf("%s: two uninterrupted runs disagree, so a restart cannot be compared with them:\n%v", sc.name, ps)
		}
		os.RemoveAll(dir)
	}
	return ref
}

// checkKilled checks the state a killed run left.
func checkKilled(sc *scenario, dir string, ref reference, res *result) []problem {
	var probs []problem
	if sc.db != "" {
		path := filepath.Join(dir, sc.db)
		probs = append(probs, checkDB(path, ref.index)...)
		if sc.states != nil {
			if ok, where, err := inStates(path, sc.states, sc.stateNames); err != nil {
				probs = append(probs, problem{"whole files", err.Error()})
			} else if !ok {
				probs = append(probs, problem{"whole files", "the database holds part of a file, matching none of the states between two files: " + where})
			}
		}
	}
	if sc.report != "" {
		probs = append(probs, checkReportFolder(filepath.Join(dir, sc.report), ref.out.tree("dir/"+sc.report), sc.earlier)...)
	}
	for _, f := range sc.files {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil && sc.normalise != nil {
			if _, err := sc.normalise(f, b); err != nil {
				res.notes[fmt.Sprintf("a killed run left a partial %s (%v)", f, shortErr(err))]++
			}
		}
	}
	return probs
}

// checkRestarted checks the state after the restart ran to completion.
func checkRestarted(sc *scenario, dir string, ref reference, res *result) []problem {
	var probs []problem
	if sc.db != "" {
		probs = append(probs, checkDB(filepath.Join(dir, sc.db), ref.index)...)
	}
	out, err := collect(sc, dir)
	if err != nil {
		return append(probs, problem{"outputs", err.Error()})
	}
	probs = append(probs, compareOutputs(ref.out, out)...)
	if sc.report != "" {
		if msg := manifestProblem(out.tree("dir/" + sc.report)); msg != "" {
			probs = append(probs, problem{"report after the restart", msg})
		}
		parent := filepath.Dir(filepath.Join(dir, sc.report))
		es, _ := os.ReadDir(parent)
		for _, e := range es {
			if e.Name() != filepath.Base(sc.report) {
				res.notes[fmt.Sprintf("the restart left %s beside the report folder", e.Name())]++
			}
		}
	}
	return probs
}

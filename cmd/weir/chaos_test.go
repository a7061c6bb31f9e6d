package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// The chaos tests (TestChaos*) reproduce, with real weir processes, each
// fault of docs/reliability.md and check that the job survived it exactly
// or refused loudly. `go test` runs them in a short form (chaos.rounds=1);
// scripts/chaos.sh runs them in a long form and prints the table that
// docs/reliability.md quotes.
var chaosRounds = flag.Int("chaos.rounds", 1, "how many times each chaos test repeats its fault (scripts/chaos.sh raises it)")

// chaosOutcome is what one chaos test saw over its rounds.
type chaosOutcome struct {
	Tried      int // faults injected
	Survived   int // rounds that ended exact (or with the loud refusal the item promises)
	Lost       int // records missing from the output, over all rounds
	Duplicated int // records published more than once, over all rounds
	Note       string
}

// add counts one round: its lost and duplicated records, and the round as
// survived when it went as promised (ok) with none of either.
func (o *chaosOutcome) add(ok bool, lost, duplicated int) {
	o.Lost += lost
	o.Duplicated += duplicated
	if ok && lost == 0 && duplicated == 0 {
		o.Survived++
	}
}

// chaosLostDuplicated compares output lines, counted in seen, with a word
// count's exact updates (each word's counts 1..want[word], once each):
// lost is how many exact updates are missing, duplicated how many lines
// there are beyond one per exact update present (lines no exact run
// writes count too).
func chaosLostDuplicated(seen map[string]int, want map[string]int64) (lost, duplicated int) {
	present := 0
	for w, n := range want {
		for i := int64(1); i <= n; i++ {
			if seen[w+","+strconv.FormatInt(i, 10)] > 0 {
				present++
			} else {
				lost++
			}
		}
	}
	for _, c := range seen {
		duplicated += c
	}
	return lost, duplicated - present
}

var chaosMu sync.Mutex

// chaosReport logs one chaos test's figures in the one format the chaos
// script collects (a line starting "chaos:"), appends it to
// $WEIR_ARTIFACTS/chaos.txt when that is set, and fails the test unless
// every round survived with nothing lost or duplicated.
func chaosReport(t *testing.T, item, name string, o chaosOutcome) {
	t.Helper()
	line := fmt.Sprintf("chaos: %-4s %-52s tried %3d  survived %3d  lost %d  duplicated %d", item, name, o.Tried, o.Survived, o.Lost, o.Duplicated)
	if o.Note != "" {
		line += "  (" + o.Note + ")"
	}
	t.Log(line)
	if dir := os.Getenv("WEIR_ARTIFACTS"); dir != "" {
		chaosMu.Lock()
		if err := os.MkdirAll(dir, 0o755); err == nil {
			if f, err := os.OpenFile(filepath.Join(dir, "chaos.txt"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, line)
				f.Close()
			}
		}
		chaosMu.Unlock()
	}
	if o.Tried == 0 {
		t.Errorf("%s: no fault was injected, so this proves nothing", name)
	}
	if o.Survived != o.Tried || o.Lost != 0 || o.Duplicated != 0 {
		t.Errorf("%s: survived %d of %d, lost %d, duplicated %d", name, o.Survived, o.Tried, o.Lost, o.Duplicated)
	}
}

// TestChaosLostDuplicated: the count every chaos test reports can see
// both loss and duplicates (a counter that saw neither would prove
// nothing).
func TestChaosLostDuplicated(t *testing.T) {
	want := map[string]int64{"a": 2, "b": 1}
	for _, c := range []struct {
		seen      map[string]int
		lost, dup int
	}{
		{map[string]int{"a,1": 1, "a,2": 1, "b,1": 1}, 0, 0},
		{map[string]int{"a,1": 1, "b,1": 1}, 1, 0},
		{map[string]int{"a,1": 2, "a,2": 1, "b,1": 3}, 0, 3},
		{map[string]int{"a,1": 1, "a,2": 1, "b,1": 1, "b,2": 1}, 0, 1},
		{map[string]int{}, 3, 0},
	} {
		if lost, dup := chaosLostDuplicated(c.seen, want); lost != c.lost || dup != c.dup {
			t.Errorf("%v: lost %d, duplicated %d; want %d, %d", c.seen, lost, dup, c.lost, c.dup)
		}
	}
}

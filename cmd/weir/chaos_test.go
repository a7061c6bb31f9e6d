package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
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

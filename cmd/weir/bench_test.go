package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The rows of `weir bench nexmark --output -` equal what a plain loop over
// the events of --dump-events computes (q2: bids on every 123rd auction).
func TestBenchNexmarkRowsMatchDumpedEvents(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "events.jsonl")
	r := runWeir(t, "", "bench", "nexmark", "--query", "q2", "--events", "100000", "-p", "2",
		"--output", "-", "--dump-events", dump, "--no-web", "--log-level", "warn")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	f, err := os.Open(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	types := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct {
			Type           string
			Auction, Price int64
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("dump line %q: %v", sc.Text(), err)
		}
		types[e.Type]++
		if e.Type == "bid" && e.Auction%123 == 0 {
			want = append(want, fmt.Sprintf("%d,%d", e.Auction, e.Price))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if types["person"] != 2000 || types["auction"] != 6000 || types["bid"] != 92000 {
		t.Fatalf("dumped events by type: %v", types)
	}
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("%d rows, want %d computed from the dump", len(got), len(want))
	}
	for _, s := range []string{"events                100000", "events/s per core", "peak memory"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the report on standard error lacks %q:\n%s", s, r.stderr)
		}
	}
}

func TestBenchNexmarkReportWithCheckpoints(t *testing.T) {
	dir := t.TempDir()
	r := runWeir(t, "", "bench", "nexmark", "--query", "q5", "--events", "150000", "--json", "--no-web", "--log-level", "warn",
		"--rate", "300000", "-D", "execution.checkpointing.interval=50ms", "-D", "execution.checkpointing.dir="+dir,
		"-D", "nexmark.first-event.rate=2000", "-D", "nexmark.next-event.rate=2000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report %q: %v", r.stdout, err)
	}
	if rep.Job != "nexmark-q5" || rep.Events != 150000 || rep.Parallelism != 1 || rep.Seconds <= 0 || rep.CPUSeconds <= 0 ||
		rep.PerCore <= 0 || rep.PeakMemory < 1<<20 || rep.Checkpoints == 0 {
		t.Fatalf("implausible report: %+v", rep)
	}
}

func TestBenchWordCount(t *testing.T) {
	r := runWeir(t, "", "bench", "wordcount", "--lines", "2000", "--json", "--no-web", "--log-level", "warn")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Events != 20000 || rep.PerCore <= 0 {
		t.Fatalf("report %q: %+v, %v", r.stdout, rep, err)
	}
}

func TestBenchRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nexmark", "--query", "q9"}, `--query: unknown query "q9"`},
		{[]string{"nexmark", "--query", "q1", "--events", "0"}, "--events 0"},
		{[]string{"nexmark", "--query", "q1", "-D", "nexmark.first-event.rate=0"}, "nexmark.first-event.rate=0"},
		{[]string{"nexmark", "--query", "q1", "-D", "nexmark.bogus=1"}, `unknown option "bogus"`},
		{[]string{"nexmark", "--query", "q1", "-D", "bogus.option=1"}, "bogus.option"},
		{[]string{"nexmark", "--query", "q1", "--rate", "-1"}, "--rate"},
		{[]string{"wordcount", "--lines", "0"}, "--lines"},
	} {
		r := runWeir(t, "", append([]string{"bench"}, append(tc.args, "--no-web")...)...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

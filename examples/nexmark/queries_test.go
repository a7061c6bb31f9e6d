package nexmark_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/file"
	gen "github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/examples/nexmark"
	"github.com/weirstream/weir/internal/testutil"
)

// testEvents is the size of the input: a few hundred thousand events, fewer
// under the race detector (which slows everything tenfold).
func testEvents() int64 {
	if raceEnabled {
		return 100_000
	}
	return 300_000
}

const testParallelism = 2

func testConfig() gen.Config {
	c := gen.DefaultConfig()
	c.Events = testEvents()
	c.Seed = 42
	// 500 events a second of event time, so that the input spans many
	// windows: 10 minutes of event time per generator.
	c.FirstEventRate, c.NextEventRate = 500, 500
	return c
}

// The reference results: each query computed over the generated events
// with plain maps and loops, straight from the SQL text, sharing nothing
// with the queries' operators. Rows are formatted here with fmt, not with
// the package's Row types, so that the CSV form is checked too.

type reference struct {
	persons  []gen.Person
	auctions []gen.Auction
	bids     []gen.Bid
}

func load(c gen.Config, p int) reference {
	var r reference
	for e := range c.Generate(p) {
		switch e.Type {
		case gen.PersonEvent:
			r.persons = append(r.persons, e.Person)
		case gen.AuctionEvent:
			r.auctions = append(r.auctions, e.Auction)
		case gen.BidEvent:
			r.bids = append(r.bids, e.Bid)
		}
	}
	return r
}

func (r reference) q0() (rows []string) {
	for _, b := range r.bids {
		rows = append(rows, fmt.Sprintf("%d,%d,%d,%d,%s", b.Auction, b.Bidder, b.Price, b.DateTime, b.Extra))
	}
	return rows
}

func (r reference) q1() (rows []string) {
	for _, b := range r.bids {
		// 0.908 * price as DECIMAL(23, 3); the float's error is far below
		// the rounding step.
		rows = append(rows, fmt.Sprintf("%d,%d,%.3f,%d,%s", b.Auction, b.Bidder, 0.908*float64(b.Price), b.DateTime, b.Extra))
	}
	return rows
}

func (r reference) q2() (rows []string) {
	for _, b := range r.bids {
		if b.Auction%123 == 0 {
			rows = append(rows, fmt.Sprintf("%d,%d", b.Auction, b.Price))
		}
	}
	return rows
}

func (r reference) q3() (rows []string) {
	byID := map[int64]gen.Person{}
	for _, p := range r.persons {
		byID[p.ID] = p
	}
	for _, a := range r.auctions {
		p, ok := byID[a.Seller]
		if ok && a.Category == 10 && (p.State == "OR" || p.State == "ID" || p.State == "CA") {
			rows = append(rows, fmt.Sprintf("%s,%s,%s,%d", p.Name, p.City, p.State, a.ID))
		}
	}
	return rows
}

// winning returns each auction's final price: MAX(price) of its bids made
// between its dateTime and its expiry; auctions without one are absent.
func (r reference) winning() (map[int64]int64, map[int64]gen.Auction) {
	byID := map[int64]gen.Auction{}
	for _, a := range r.auctions {
		byID[a.ID] = a
	}
	final := map[int64]int64{} // auction id -> MAX(price)
	for _, b := range r.bids {
		a, ok := byID[b.Auction]
		if !ok || b.DateTime < a.DateTime || b.DateTime > a.Expires {
			continue
		}
		if m, seen := final[a.ID]; !seen || b.Price > m {
			final[a.ID] = b.Price
		}
	}
	return final, byID
}

// q4 returns the final average per category.
func (r reference) q4() map[int64]int64 {
	final, byID := r.winning()
	sum, count := map[int64]int64{}, map[int64]int64{}
	for id, f := range final {
		c := byID[id].Category
		sum[c] += f
		count[c]++
	}
	avg := map[int64]int64{}
	for c, s := range sum {
		avg[c] = s / count[c]
	}
	return avg
}

// q6 returns, per seller, the averages written after each of its closed
// auctions, in order: auctions by expiry (then id), each averaged with the
// seller's up to 9 closed before it.
func (r reference) q6() map[int64][]int64 {
	final, byID := r.winning()
	type sale struct{ expires, id, price int64 }
	sales := map[int64][]sale{}
	for id, f := range final {
		a := byID[id]
		sales[a.Seller] = append(sales[a.Seller], sale{a.Expires, id, f})
	}
	avgs := map[int64][]int64{}
	for seller, ss := range sales {
		slices.SortFunc(ss, func(a, b sale) int {
			return cmp.Or(cmp.Compare(a.expires, b.expires), cmp.Compare(a.id, b.id))
		})
		for i := range ss {
			first := max(0, i-9)
			var sum int64
			for _, s := range ss[first : i+1] {
				sum += s.price
			}
			avgs[seller] = append(avgs[seller], sum/int64(i+1-first))
		}
	}
	return avgs
}

func (r reference) q5() (rows []string) {
	type win struct{ start, auction int64 }
	counts := map[win]int64{}
	for _, b := range r.bids {
		last := b.DateTime / 2000 * 2000
		for s := last - 8000; s <= last; s += 2000 {
			counts[win{s, b.Auction}]++
		}
	}
	maxn := map[int64]int64{}
	for w, n := range counts {
		maxn[w.start] = max(maxn[w.start], n)
	}
	for w, n := range counts {
		if n >= maxn[w.start] {
			rows = append(rows, fmt.Sprintf("%d,%d", w.auction, n))
		}
	}
	return rows
}

func (r reference) q7() (rows []string) {
	maxPrice := map[int64]int64{} // window end -> MAX(price)
	for _, b := range r.bids {
		end := b.DateTime/10000*10000 + 10000
		if m, ok := maxPrice[end]; !ok || b.Price > m {
			maxPrice[end] = b.Price
		}
	}
	for _, b := range r.bids {
		for end, m := range maxPrice {
			if b.Price == m && b.DateTime >= end-10000 && b.DateTime <= end {
				rows = append(rows, fmt.Sprintf("%d,%d,%d,%d,%s", b.Auction, b.Price, b.Bidder, b.DateTime, b.Extra))
			}
		}
	}
	return rows
}

func (r reference) q8() (rows []string) {
	type key struct{ id, start int64 }
	sellers := map[key]bool{}
	for _, a := range r.auctions {
		sellers[key{a.Seller, a.DateTime / 10000 * 10000}] = true
	}
	for _, p := range r.persons {
		if s := p.DateTime / 10000 * 10000; sellers[key{p.ID, s}] {
			rows = append(rows, fmt.Sprintf("%d,%s,%d", p.ID, p.Name, s))
		}
	}
	return rows
}

func (r reference) rows(q string) []string {
	switch q {
	case "q0":
		return r.q0()
	case "q1":
		return r.q1()
	case "q2":
		return r.q2()
	case "q3":
		return r.q3()
	case "q5":
		return r.q5()
	case "q7":
		return r.q7()
	case "q8":
		return r.q8()
	}
	panic("no reference for " + q)
}

var (
	refOnce sync.Once
	ref     reference
)

func testReference() reference {
	refOnce.Do(func() { ref = load(testConfig(), testParallelism) })
	return ref
}

// check compares a query's output lines (in the order of each key's
// updates) with the reference.
func check(t *testing.T, q nexmark.Query, got []string) {
	t.Helper()
	r := testReference()
	if q.Name == "q6" {
		checkQ6(t, r.q6(), got)
		return
	}
	if q.Name == "q4" {
		want := r.q4()
		final := map[int64]int64{}
		for _, l := range got {
			c, v, ok := strings.Cut(l, ",")
			ci, err1 := strconv.ParseInt(c, 10, 64)
			vi, err2 := strconv.ParseInt(v, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				t.Fatalf("q4: malformed row %q", l)
			}
			final[ci] = vi
		}
		if len(want) == 0 || !mapsEqual(final, want) {
			t.Fatalf("q4: final averages %v, want %v (%d update rows)", final, want, len(got))
		}
		t.Logf("q4: %d update rows, final averages of %d categories as expected", len(got), len(want))
		return
	}
	want := r.rows(q.Name)
	if len(want) == 0 {
		t.Fatalf("%s: the reference has no rows; the test proves nothing", q.Name)
	}
	got = slices.Clone(got)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %d rows, want %d; first difference: %s", q.Name, len(got), len(want), firstDiff(got, want))
	}
	t.Logf("%s: %d rows as expected", q.Name, len(got))
}

// checkQ6 compares q6's rows seller by seller: each seller's updates, in
// the order written, must be the reference's, one per closed auction.
func checkQ6(t *testing.T, want map[int64][]int64, got []string) {
	t.Helper()
	updates := map[int64][]int64{}
	for _, l := range got {
		s, v, ok := strings.Cut(l, ",")
		si, err1 := strconv.ParseInt(s, 10, 64)
		vi, err2 := strconv.ParseInt(v, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("q6: malformed row %q", l)
		}
		updates[si] = append(updates[si], vi)
	}
	long := 0 // sellers with more closed auctions than the window
	for seller, w := range want {
		if g := updates[seller]; !slices.Equal(g, w) {
			t.Fatalf("q6: seller %d: updates %v, want %v", seller, g, w)
		}
		if len(w) > 10 {
			long++
		}
	}
	if len(updates) != len(want) {
		for seller := range updates {
			if _, ok := want[seller]; !ok {
				t.Fatalf("q6: rows for seller %d, who closed no auction with a bid", seller)
			}
		}
	}
	if long == 0 {
		t.Fatal("q6: no seller closed more than 10 auctions; the test proves little")
	}
	t.Logf("q6: %d update rows as expected, %d sellers (%d with more than 10 closed auctions)", len(got), len(want), long)
}

func mapsEqual(a, b map[int64]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("got %q, want %q", got[i], want[i])
		}
	}
	if len(got) > len(want) {
		return fmt.Sprintf("extra row %q", got[len(want)])
	}
	return fmt.Sprintf("missing row %q", want[len(got)])
}

func newEnv(t *testing.T, kv ...string) *weir.Environment {
	t.Helper()
	cfg := config.New()
	if err := cfg.SetPairs(append([]string{"parallelism.default=" + strconv.Itoa(testParallelism)}, kv...)); err != nil {
		t.Fatal(err)
	}
	e := weir.NewEnvironment(cfg)
	e.SetLogger(slog.New(slog.NewTextHandler(&testutil.LockedBuffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	return e
}

func TestQueriesMatchReference(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, q := range nexmark.Queries {
		t.Run(q.Name, func(t *testing.T) {
			e := newEnv(t)
			in, _, err := nexmark.Events(e, testConfig(), 0)
			if err != nil {
				t.Fatal(err)
			}
			sink := collect.New[string]()
			q.Lines(in).SinkTo(sink, "Collect")
			if err := e.Execute(context.Background(), q.Name); err != nil {
				t.Fatal(err)
			}
			check(t, q, sink.Records())
		})
	}
}

// injector fails the job once per attempt, at the first record past the
// attempt's threshold that comes after a checkpoint completed in the
// attempt (completed counts them), so that every failure restores from a
// checkpoint: under load a failure before any checkpoint would restart
// from the beginning and prove nothing about restore.
type injector struct {
	thresholds []int64
	completed  func() int64 // checkpoints completed so far
	attempt    atomic.Int64
	seen       atomic.Int64
	failures   atomic.Int64
	mu         sync.Mutex
	since      int64 // completed when the attempt began
}

var errInjected = errors.New("injected failure")

func (in *injector) check() error {
	a := in.attempt.Load()
	if a >= int64(len(in.thresholds)) || in.seen.Add(1) < in.thresholds[a] {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	done := in.completed()
	if in.attempt.Load() != a || done <= in.since {
		return nil
	}
	in.since = done
	in.failures.Add(1)
	in.attempt.Add(1)
	in.seen.Store(0)
	return fmt.Errorf("attempt %d: %w", a, errInjected)
}

func TestQueriesExactlyOnceUnderFailures(t *testing.T) {
	defer goleak.VerifyNone(t)
	n := testEvents()
	for i, q := range nexmark.Queries {
		t.Run(q.Name, func(t *testing.T) {
			// Two failures at random points between a sixth and a half of
			// each subtask's share of the events; throttled to last about
			// a second, so that checkpoints (every 20 ms) have completed by
			// then.
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			per := n / testParallelism
			in := &injector{thresholds: []int64{per/6 + rng.Int64N(per/3), per/6 + rng.Int64N(per/3)}}
			var log testutil.LockedBuffer
			counter := testutil.CountMessages(slog.NewTextHandler(&log, nil), "checkpoint completed")
			in.completed = func() int64 { return counter.Count("checkpoint completed") }
			out := filepath.Join(t.TempDir(), "out")
			e := newEnv(t,
				"execution.checkpointing.interval=20ms",
				"execution.checkpointing.dir="+filepath.Join(t.TempDir(), "ckpt"),
				"restart-strategy.type=fixed-delay",
				"restart-strategy.fixed-delay.attempts=5",
				"restart-strategy.fixed-delay.delay=10ms")
			e.SetLogger(slog.New(counter))
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("the job's log:\n%s", log.String())
				}
			})
			input, _, err := nexmark.Events(e, testConfig(), float64(n))
			if err != nil {
				t.Fatal(err)
			}
			input.Events = weir.Map(input.Events, func(ev gen.Event) (gen.Event, error) { return ev, in.check() }).Name("Inject")
			q.Lines(input).SinkTo(file.NewSink(out), "Files")
			if err := e.Execute(context.Background(), q.Name); err != nil {
				t.Fatal(err)
			}
			// Every injected failure must have restarted the job from a
			// checkpoint, or the run proved less than it claims.
			restored := testutil.CountRestores(log.String())
			if f := in.failures.Load(); f < int64(len(in.thresholds)) || int64(restored) < f {
				t.Fatalf("%d of %d failures injected, %d restarts from a checkpoint; the test proves little", f, len(in.thresholds), restored)
			}
			check(t, q, readParts(t, out))
			t.Logf("%s: %d failures, %d restores from a checkpoint", q.Name, in.failures.Load(), restored)
		})
	}
}

// readParts reads the committed part files of a file sink, in the order
// each subtask wrote them.
func readParts(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		subtask, n int
		name       string
	}
	var parts []part
	for _, de := range entries {
		if file.IsBookkeeping(de.Name()) {
			continue // the sink's commit logs and taken-back parts
		}
		var p part
		if _, err := fmt.Sscanf(de.Name(), "part-%d-%d", &p.subtask, &p.n); err != nil {
			t.Fatalf("unexpected file %s in the output (uncommitted?)", de.Name())
		}
		p.name = de.Name()
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b part) int {
		return cmp.Or(cmp.Compare(a.subtask, b.subtask), cmp.Compare(a.n, b.n))
	})
	var lines []string
	for _, p := range parts {
		b, err := os.ReadFile(filepath.Join(dir, p.name))
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			lines = append(lines, strings.Split(s, "\n")...)
		}
	}
	return lines
}

package nexmark

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
)

func smallConfig(n int64) Config {
	c := DefaultConfig()
	c.Events = n
	c.Seed = 7
	return c
}

func collectAll(c Config, p int) []Event {
	var out []Event
	for e := range c.Generate(p) {
		out = append(out, e)
	}
	return out
}

func TestDeterministicAndSeeded(t *testing.T) {
	c := smallConfig(20000)
	a, b := collectAll(c, 1), collectAll(c, 1)
	if !slices.Equal(a, b) {
		t.Fatal("two generations of the same configuration differ")
	}
	c.Seed++
	if d := collectAll(c, 1); slices.Equal(a, d) {
		t.Fatal("another seed gave the same events")
	}
}

func TestProportionsIDsAndTimes(t *testing.T) {
	c := smallConfig(100000)
	evs := collectAll(c, 1)
	if len(evs) != 100000 {
		t.Fatalf("%d events, want 100000", len(evs))
	}
	var counts [3]int
	var lastPerson, lastAuction int64 = FirstPersonID - 1, FirstAuctionID - 1
	prev := int64(math.MinInt64)
	states := map[string]bool{}
	categories := map[int64]bool{}
	for i, e := range evs {
		counts[e.Type]++
		ts := e.DateTime()
		if ts < prev {
			t.Fatalf("event %d goes back in time: %d after %d", i, ts, prev)
		}
		prev = ts
		// 10 000 events a second: event i is at i/10 ms.
		if want := BaseTime + int64(i)/10; ts != want {
			t.Fatalf("event %d at %d, want %d", i, ts, want)
		}
		switch e.Type {
		case PersonEvent:
			if e.Person.ID != lastPerson+1 {
				t.Fatalf("person id %d after %d", e.Person.ID, lastPerson)
			}
			lastPerson = e.Person.ID
			states[e.Person.State] = true
		case AuctionEvent:
			a := e.Auction
			if a.ID != lastAuction+1 || a.Expires <= a.DateTime || a.Reserve < a.InitialBid || a.Seller < FirstPersonID || a.Seller > lastPerson+personIDLead {
				t.Fatalf("bad auction %+v (last person %d, last auction %d)", a, lastPerson, lastAuction)
			}
			lastAuction = a.ID
			categories[a.Category] = true
		case BidEvent:
			b := e.Bid
			if b.Auction < FirstAuctionID || b.Auction > lastAuction+auctionIDLead || b.Price < 100 || b.Price > 100_000_000 || b.Channel == "" || !strings.HasPrefix(b.URL, "https://www.nexmark.com/") {
				t.Fatalf("bad bid %+v (last auction %d)", b, lastAuction)
			}
			// Bids have 32 bytes of fixed fields and 100 bytes on average.
			if n := len(b.Extra); n < 54 || n > 82 {
				t.Fatalf("bid extra of %d bytes, want 68 ± 20%%", n)
			}
		}
	}
	if counts != [3]int{2000, 6000, 92000} {
		t.Fatalf("persons, auctions, bids = %v, want 1:3:46 of 100000", counts)
	}
	if len(states) != 6 || len(categories) != 5 {
		t.Fatalf("%d states and %d categories, want 6 and 5", len(states), len(categories))
	}
}

func TestSplitsCoverAllIDs(t *testing.T) {
	c := smallConfig(100003)
	for _, p := range []int{1, 2, 3, 7} {
		sps := c.Splits(p)
		total, first := int64(0), int64(0)
		for _, s := range sps {
			if s.FirstEventID != first || s.Generators != p {
				t.Fatalf("p=%d: split %+v does not follow the previous one", p, s)
			}
			first += s.MaxEvents
			total += s.MaxEvents
		}
		if total != c.Events {
			t.Fatalf("p=%d: splits hold %d events, want %d", p, total, c.Events)
		}
	}
	// Each split runs its own timeline at 1/p of the rate.
	evs := collectAll(c, 2)
	if ts := evs[c.Events/2+10].DateTime(); ts != BaseTime+2 {
		t.Fatalf("event 10 of the second split at %d, want base+2ms", ts)
	}
}

// read runs readers to the end, restoring them from their positions
// every few fetches, with the positions redistributed over a different
// number of readers each time, and returns every event read.
func read(t *testing.T, src *Source, p int) []Event {
	t.Helper()
	ctx := context.Background()
	var readers []connector.SourceReader[Event]
	for i := range p {
		r, err := src.CreateReader(connector.SourceContext{Subtask: i, Parallelism: p})
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
	}
	var out []Event
	for round := 0; len(readers) > 0; round++ {
		var positions [][]byte
		var live []connector.SourceReader[Event]
		for _, r := range readers {
			recs, pos, err := r.Fetch(ctx, make([]Event, 0, 333))
			out = append(out, recs...)
			switch {
			case errors.Is(err, io.EOF):
			case err != nil:
				t.Fatal(err)
			default:
				positions = append(positions, pos...)
				live = append(live, r)
			}
		}
		readers = live
		if round%3 != 2 || len(readers) == 0 {
			continue
		}
		// Restore: the positions of all, dealt to 1..3 new readers.
		n := 1 + round%3
		readers = nil
		for i := range n {
			var mine [][]byte
			for j := i; j < len(positions); j += n {
				mine = append(mine, positions[j])
			}
			if mine == nil {
				mine = [][]byte{}
			}
			r, err := src.CreateReader(connector.SourceContext{Subtask: i, Parallelism: n, Restored: mine})
			if err != nil {
				t.Fatal(err)
			}
			readers = append(readers, r)
		}
	}
	return out
}

func TestSourceRestoresExactly(t *testing.T) {
	c := smallConfig(50000)
	src, err := NewSource(c)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, src, 2)
	want := collectAll(c, 2)
	asText := func(es []Event) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = string(mustJSON(t, e))
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(asText(got), asText(want)) {
		t.Fatalf("read %d events across restores, want the %d generated exactly once", len(got), len(want))
	}
	if src.Emitted() != int64(len(got)) {
		t.Fatalf("Emitted %d, read %d", src.Emitted(), len(got))
	}
}

func TestRestoreRejectsBadEntries(t *testing.T) {
	src, _ := NewSource(smallConfig(10))
	for _, b := range [][]byte{{}, {9, 1, 1, 1, 1}, {1, 1}, {1, 0, 10, 0, 11}, {1, 0, 10, 1, 3, 0}} {
		if _, err := src.CreateReader(connector.SourceContext{Parallelism: 1, Restored: [][]byte{b}}); err == nil {
			t.Errorf("entry %v accepted", b)
		}
	}
}

func TestRateLimitedPacesByTimestamps(t *testing.T) {
	c := smallConfig(600)
	c.FirstEventRate, c.NextEventRate = 10000, 10000 // 600 events: 60 ms of event time
	c.RateLimited = true
	src, _ := NewSource(c)
	r, _ := src.CreateReader(connector.SourceContext{Parallelism: 1})
	start := time.Now()
	n := 0
	for {
		recs, _, err := r.Fetch(context.Background(), make([]Event, 0, 1024))
		n += len(recs)
		if err != nil {
			break
		}
	}
	if el := time.Since(start); n != 600 || el < 55*time.Millisecond {
		t.Fatalf("%d events in %v; want 600 paced over about 60ms", n, el)
	}
}

func mustJSON(t *testing.T, e Event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJSONRoundTrip(t *testing.T) {
	for _, e := range collectAll(smallConfig(200), 1) {
		b := mustJSON(t, e)
		var back Event
		if err := json.Unmarshal(b, &back); err != nil || back != e {
			t.Fatalf("%s: round trip gave %+v, %v", b, back, err)
		}
		if !strings.HasPrefix(string(b), `{"type":"`+e.Type.String()+`",`) {
			t.Fatalf("%s: no type first", b)
		}
	}
}

func TestConfigSet(t *testing.T) {
	c := DefaultConfig()
	for k, v := range map[string]string{"first-event.rate": "500", "bid.avg-size": "1kb", "events.num": "42", "rate.period": "10 min", "auction.hot-ratio.sellers": "8"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if c.FirstEventRate != 500 || c.BidAvgSize != 1024 || c.Events != 42 || c.RatePeriod != 10*time.Minute || c.HotSellersRatio != 8 {
		t.Fatalf("got %+v", c)
	}
	for k, v := range map[string]string{"first-event.rate": "0", "nope": "1", "rate.shape": "sine", "rate.limited": "maybe"} {
		if err := c.Set(k, v); !errors.Is(err, ErrBadConfig) {
			t.Errorf("Set(%s, %s): %v", k, v, err)
		}
	}
}

func TestSquareRateShape(t *testing.T) {
	c := smallConfig(0)
	c.FirstEventRate, c.NextEventRate, c.RatePeriod = 1000, 100, 20*time.Second
	tl := c.timeline(1)
	// 10 s at 1000/s (10 000 events), then 10 s at 100/s (1 000 events).
	for _, tc := range []struct{ n, want int64 }{{0, 0}, {9999, 9999}, {10000, 10000}, {10001, 10010}, {11000, 20000}, {21000, 30000}} {
		if got := tl.at(tc.n) - c.BaseTime; got != tc.want {
			t.Errorf("event %d at +%d ms, want +%d", tc.n, got, tc.want)
		}
	}
}

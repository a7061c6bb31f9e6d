package datagen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

type rec struct {
	Index int64
	Rnd   uint64
}

func genRec(i int64, rnd uint64) rec { return rec{i, rnd} }

// readAll reads a bounded reader to the end with batches of capacity.
func readAll[T any](t *testing.T, r connector.SourceReader[T], capacity, maxBatches int) (out []T, pos [][]byte, eof bool) {
	t.Helper()
	for i := 0; maxBatches < 0 || i < maxBatches; i++ {
		recs, p, err := r.Fetch(context.Background(), make([]T, 0, capacity))
		if len(recs) > capacity {
			t.Fatalf("%d records for capacity %d", len(recs), capacity)
		}
		out, pos = append(out, recs...), p
		if err == io.EOF {
			return out, pos, true
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out, pos, false
}

func newReader[T any](t *testing.T, s connector.Source[T], ctx connector.SourceContext) connector.SourceReader[T] {
	t.Helper()
	r, err := s.CreateReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func sorted(recs []rec) []rec {
	slices.SortFunc(recs, func(a, b rec) int { return int(a.Index - b.Index) })
	return recs
}

func TestSameRecordsAtAnyParallelism(t *testing.T) {
	testutil.CheckGoroutines(t)
	const count = 100
	src := New(count, 42, genRec)
	var base []rec
	for _, p := range []int{1, 3, 7, 150} {
		var all []rec
		for i := range p {
			recs, _, eof := readAll(t, newReader(t, src, connector.SourceContext{Subtask: i, Parallelism: p}), 8, -1)
			if !eof {
				t.Fatal("no EOF")
			}
			for _, r := range recs {
				if int(r.Index)%p != i {
					t.Fatalf("p=%d subtask %d produced index %d", p, i, r.Index)
				}
			}
			all = append(all, recs...)
		}
		all = sorted(all)
		if len(all) != count {
			t.Fatalf("p=%d: %d records, want %d", p, len(all), count)
		}
		if base == nil {
			base = all
			for i, r := range all {
				if r.Index != int64(i) || r.Rnd != Mix(42, int64(i)) {
					t.Fatalf("record %d = %+v", i, r)
				}
			}
		} else if !reflect.DeepEqual(all, base) {
			t.Errorf("p=%d: records differ from p=1", p)
		}
	}
	// Another seed gives other random numbers.
	other, _, _ := readAll(t, newReader(t, New(count, 43, genRec), connector.SourceContext{Parallelism: 1}), 100, -1)
	if other[0].Rnd == base[0].Rnd {
		t.Error("seed does not change rnd")
	}
}

func TestMixKnownValues(t *testing.T) {
	// splitmix64 seeded with 0: the reference sequence.
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := Mix(0, int64(i)); got != w {
			t.Errorf("Mix(0, %d) = %#x, want %#x", i, got, w)
		}
	}
}

// TestRestoreAfterRescale reads part of the input with 3 readers, then
// redistributes their entries among 2 and then 5 readers.
func TestRestoreAfterRescale(t *testing.T) {
	testutil.CheckGoroutines(t)
	const count = 97
	src := New(count, 7, genRec)
	var got []rec
	var entries [][]byte
	for i := range 3 {
		recs, pos, _ := readAll(t, newReader(t, src, connector.SourceContext{Subtask: i, Parallelism: 3}), 4, i+1)
		got = append(got, recs...)
		entries = append(entries, pos...)
	}
	for _, p := range []int{2, 5} {
		var next [][]byte
		for i := range p {
			var mine [][]byte
			for j, e := range entries {
				if j%p == i {
					mine = append(mine, e)
				}
			}
			if mine == nil {
				mine = [][]byte{}
			}
			r := newReader(t, src, connector.SourceContext{Subtask: i, Parallelism: p, Restored: mine})
			batches := 2
			if p == 5 {
				batches = -1
			}
			recs, pos, _ := readAll(t, r, 3, batches)
			if !slices.IsSortedFunc(recs, func(a, b rec) int { return int(a.Index - b.Index) }) {
				t.Errorf("restored reader not in index order: %v", recs)
			}
			got = append(got, recs...)
			next = append(next, pos...)
		}
		entries = next
	}
	got = sorted(got)
	if len(got) != count {
		t.Fatalf("%d records after rescales, want %d", len(got), count)
	}
	for i, r := range got {
		if r.Index != int64(i) || r.Rnd != Mix(7, int64(i)) {
			t.Fatalf("record %d = %+v (duplicate or loss)", i, r)
		}
	}
}

func TestUnbounded(t *testing.T) {
	testutil.CheckGoroutines(t)
	r := newReader(t, New(-1, 1, genRec), connector.SourceContext{Subtask: 1, Parallelism: 2})
	recs, pos, eof := readAll(t, r, 50, 20)
	if eof || len(recs) != 1000 || recs[999].Index != 1999 {
		t.Fatalf("eof %v, %d records, last %+v", eof, len(recs), recs[len(recs)-1])
	}
	sp, err := decodeSplit(pos[0])
	if err != nil || sp != (split{next: 2001, stride: 2}) {
		t.Errorf("position = %+v, %v", sp, err)
	}

	// An unbounded reader without splits waits for cancellation.
	idle := newReader(t, New(-1, 1, genRec), connector.SourceContext{Restored: [][]byte{}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if recs, _, err := idle.Fetch(ctx, make([]rec, 0, 4)); len(recs) != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("idle reader: %v, %v", recs, err)
	}
}

func TestPositionDecodeErrors(t *testing.T) {
	good := split{next: 300, stride: 3}.encode()
	tests := []struct {
		entry []byte
		want  string
	}{
		{nil, "empty entry"},
		{[]byte{2, 1, 1}, "unsupported version 2"},
		{good[:2], "truncated or malformed next index"},
		{good[:len(good)-1], "truncated or malformed stride"},
		{append(append([]byte{}, good...), 0), "1 trailing bytes"},
		{split{next: 1, stride: 0}.encode(), "invalid split"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := New(10, 0, genRec).CreateReader(connector.SourceContext{Restored: [][]byte{good, tc.entry}})
			if err == nil || !strings.Contains(err.Error(), "position entry 2 of 2: "+tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	w := Words(5000)
	if w[0] != "baba" || w[1] != "babe" || w[5] != "bada" || w[4899] != "zuzu" || w[4900] != "bebaba" {
		t.Errorf("words: %q %q %q %q %q", w[0], w[1], w[5], w[4899], w[4900])
	}
	seen := map[string]bool{}
	for _, x := range w {
		if seen[x] {
			t.Fatalf("duplicate word %q", x)
		}
		seen[x] = true
	}
}

func TestLines(t *testing.T) {
	testutil.CheckGoroutines(t)
	read := func(p int) []string {
		var all []string
		for i := range p {
			recs, _, _ := readAll(t, newReader(t, Lines(60, 9, 4, 10), connector.SourceContext{Subtask: i, Parallelism: p}), 7, -1)
			all = append(all, recs...)
		}
		slices.Sort(all)
		return all
	}
	one, three := read(1), read(3)
	if !reflect.DeepEqual(one, three) {
		t.Error("lines differ between parallelism 1 and 3")
	}
	vocab := map[string]bool{}
	for _, w := range Words(10) {
		vocab[w] = true
	}
	used := map[string]bool{}
	for _, l := range one {
		ws := strings.Split(l, " ")
		if len(ws) != 4 {
			t.Fatalf("line %q has %d words", l, len(ws))
		}
		for _, w := range ws {
			if !vocab[w] {
				t.Fatalf("word %q not in vocabulary", w)
			}
			used[w] = true
		}
	}
	if len(used) != 10 {
		t.Errorf("%d of 10 words used in 240 draws", len(used))
	}
	for _, args := range [][2]int{{0, 10}, {3, 0}} {
		_, err := Lines(1, 0, args[0], args[1]).CreateReader(connector.SourceContext{Parallelism: 1})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("got %d and %d", args[0], args[1])) {
			t.Errorf("Lines%v: err = %v", args, err)
		}
	}
}

func BenchmarkLines(b *testing.B) {
	r, _ := Lines(-1, 1, 10, 10000).CreateReader(connector.SourceContext{Parallelism: 1})
	buf := make([]string, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i += 1024 {
		buf, _, _ = r.Fetch(context.Background(), buf[:0])
	}
}

// TestFetchSplits: FetchSplits names each record's split "i/p" and
// reports a bounded split as finished in the batch that exhausts it,
// returning the same records as Fetch.
func TestFetchSplits(t *testing.T) {
	testutil.CheckGoroutines(t)
	src := New(10, 3, genRec)
	render := func(recs []rec, sb *connector.SplitBatch) string {
		var s []string
		for _, r := range recs {
			s = append(s, fmt.Sprint(r.Index))
		}
		s = append(s, "|")
		for _, r := range sb.Runs {
			s = append(s, fmt.Sprintf("%s:%d", r.ID, r.Records))
		}
		s = append(s, "|")
		return strings.Join(append(s, sb.Finished...), " ")
	}
	check := func(name string, ctx connector.SourceContext, capacity int, want []string) {
		t.Helper()
		r := newReader(t, src, ctx).(connector.SplitFetcher[rec])
		plain := newReader(t, src, ctx)
		for i, w := range want {
			var sb connector.SplitBatch
			recs, _, err := r.FetchSplits(context.Background(), make([]rec, 0, capacity), &sb)
			if err != nil && err != io.EOF || (err == io.EOF) != (i == len(want)-1) {
				t.Fatalf("%s, batch %d: error %v", name, i, err)
			}
			if got := render(recs, &sb); got != w {
				t.Errorf("%s, batch %d: %q, want %q", name, i, got, w)
			}
			if precs, _, _ := plain.Fetch(context.Background(), make([]rec, 0, capacity)); !slices.Equal(precs, recs) {
				t.Errorf("%s, batch %d: Fetch gave %v, FetchSplits %v", name, i, precs, recs)
			}
		}
	}
	check("one split", connector.SourceContext{Subtask: 1, Parallelism: 2}, 3, []string{
		"1 3 5 | 1/2:3 |",
		"7 9 | 1/2:2 | 1/2",
	})
	// Two splits of a former parallelism of 3, merged in index order.
	restored := [][]byte{split{next: 0, stride: 3}.encode(), split{next: 2, stride: 3}.encode()}
	check("two splits", connector.SourceContext{Parallelism: 1, Restored: restored}, 4, []string{
		"0 2 3 5 | 0/3:1 2/3:1 0/3:1 2/3:1 |",
		"6 8 9 | 0/3:1 2/3:1 0/3:1 | 0/3 2/3",
	})
}

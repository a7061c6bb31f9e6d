package datagen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/internal/position"
)

// Mix returns the n-th output of a splitmix64 generator seeded with seed.
// Generators that need several random numbers per record can call
// Mix(rnd, k) for k = 0, 1, ...
func Mix(seed uint64, n int64) uint64 {
	z := seed + (uint64(n)+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Source generates records deterministically. It implements
// connector.Source[T]; see the package doc.
type Source[T any] struct {
	count int64
	seed  uint64
	gen   func(index int64, rnd uint64) T
	err   error // a bad argument, reported by CreateReader
}

var _ connector.Source[int] = (*Source[int])(nil)

// New returns a source of the records gen(n, Mix(seed, n)) for n in
// [0, count), or for every n >= 0 when count < 0.
func New[T any](count int64, seed uint64, gen func(index int64, rnd uint64) T) *Source[T] {
	s := &Source[T]{count: count, seed: seed, gen: gen}
	if gen == nil {
		s.err = errors.New("datagen: nil generator function")
	}
	return s
}

// Count is the number of records, negative for an unbounded source.
func (s *Source[T]) Count() int64 { return s.count }

// Identity names the count and the seed (connector.Identifier).
func (s *Source[T]) Identity() string {
	return fmt.Sprintf("datagen count=%d seed=%d", s.count, s.seed)
}

// CreateReader implements connector.Source.
func (s *Source[T]) CreateReader(ctx connector.SourceContext) (connector.SourceReader[T], error) {
	if s.err != nil {
		return nil, s.err
	}
	r := &reader[T]{src: s}
	if ctx.Restored != nil {
		for i, e := range ctx.Restored {
			sp, err := decodeSplit(e)
			if err != nil {
				return nil, fmt.Errorf("datagen: restore: position entry %d of %d: %w", i+1, len(ctx.Restored), err)
			}
			sp.id = sp.name()
			r.splits = append(r.splits, sp)
		}
	} else {
		p := max(ctx.Parallelism, 1)
		if ctx.Subtask < 0 || ctx.Subtask >= p {
			return nil, fmt.Errorf("datagen: subtask %d out of range for parallelism %d", ctx.Subtask, p)
		}
		sp := split{next: int64(ctx.Subtask), stride: int64(p)}
		sp.id = sp.name()
		r.splits = []split{sp}
	}
	return r, nil
}

// split is the arithmetic sequence next, next+stride, ... (below count).
type split struct {
	next, stride int64
	// For connector.SplitFetcher: the split's name and whether its end has
	// been reported.
	id       string
	reported bool
}

// name names a split by what stays the same as it advances: its first
// index modulo its stride, and its stride.
func (sp split) name() string { return fmt.Sprintf("%d/%d", sp.next%sp.stride, sp.stride) }

const positionVersion = 1

func (sp split) encode() []byte {
	return position.Encode(positionVersion, uint64(sp.next), uint64(sp.stride))
}

func decodeSplit(b []byte) (split, error) {
	v, err := position.Decode(b, positionVersion, "next index", "stride")
	if err != nil {
		return split{}, err
	}
	if v[1] == 0 || v[1] > math.MaxInt32 {
		return split{}, fmt.Errorf("invalid split (next %d, stride %d)", v[0], v[1])
	}
	return split{next: int64(v[0]), stride: int64(v[1])}, nil
}

type reader[T any] struct {
	src    *Source[T]
	splits []split
}

func (r *reader[T]) exhausted(sp split) bool {
	return r.src.count >= 0 && sp.next >= r.src.count
}

var _ connector.SplitFetcher[int] = (*reader[int])(nil)
var _ connector.StartPositioner = (*reader[int])(nil)
var _ connector.PendingReporter = (*reader[int])(nil)

// Fetch fills buf with the next records of its splits, the lowest index
// first.
func (r *reader[T]) Fetch(ctx context.Context, buf []T) ([]T, [][]byte, error) {
	return r.fetch(ctx, buf, nil)
}

// FetchSplits implements connector.SplitFetcher: Fetch, naming each record's
// split "i/p" (the split of indices i, i+p, ...). A split of a bounded
// source finishes when it reaches the count.
func (r *reader[T]) FetchSplits(ctx context.Context, buf []T, splits *connector.SplitBatch) ([]T, [][]byte, error) {
	return r.fetch(ctx, buf, splits)
}

func (r *reader[T]) fetch(ctx context.Context, buf []T, splits *connector.SplitBatch) ([]T, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return buf, nil, err
	}
	gen, seed := r.src.gen, r.src.seed
	if len(r.splits) == 1 {
		// Common case: one split, no merging.
		sp := &r.splits[0]
		n := len(buf)
		for len(buf) < cap(buf) && !r.exhausted(*sp) {
			buf = append(buf, gen(sp.next, Mix(seed, sp.next)))
			sp.next += sp.stride
		}
		if splits != nil && len(buf) > n {
			splits.Runs = append(splits.Runs, connector.SplitRun{ID: sp.id, Records: len(buf) - n})
		}
	} else {
		for len(buf) < cap(buf) {
			k := -1
			for i, sp := range r.splits {
				if !r.exhausted(sp) && (k < 0 || sp.next < r.splits[k].next) {
					k = i
				}
			}
			if k < 0 {
				break
			}
			sp := &r.splits[k]
			buf = append(buf, gen(sp.next, Mix(seed, sp.next)))
			sp.next += sp.stride
			if splits != nil {
				splits.Add(sp.id)
			}
		}
	}
	if splits != nil && r.src.count >= 0 {
		for i := range r.splits {
			if sp := &r.splits[i]; !sp.reported && r.exhausted(*sp) {
				sp.reported = true
				splits.Finished = append(splits.Finished, sp.id)
			}
		}
	}
	pos := r.StartPosition()
	done := true
	for _, sp := range r.splits {
		done = done && r.exhausted(sp)
	}
	if done && r.src.count >= 0 {
		return buf, pos, io.EOF
	}
	if len(r.splits) == 0 {
		// Unbounded source with no splits: nothing will ever come.
		<-ctx.Done()
		return buf, pos, ctx.Err()
	}
	return buf, pos, nil
}

// StartPosition implements connector.StartPositioner; Fetch returns the same
// encoding of the splits after each batch.
func (r *reader[T]) StartPosition() [][]byte {
	pos := make([][]byte, len(r.splits))
	for i, sp := range r.splits {
		pos[i] = sp.encode()
	}
	return pos
}

// Pending implements connector.PendingReporter: a bounded source's records
// not generated yet, over its splits; unknown (-1) for an unbounded one.
// Bytes are unknown: records are values, not bytes read.
func (r *reader[T]) Pending() (records, bytes int64) {
	if r.src.count < 0 {
		return -1, -1
	}
	for _, sp := range r.splits {
		if !r.exhausted(sp) {
			records += (r.src.count - sp.next + sp.stride - 1) / sp.stride
		}
	}
	return records, -1
}

// Close implements connector.SourceReader.
func (r *reader[T]) Close() error { return nil }

package nexmark

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/internal/position"
)

// Source is the Nexmark generator as a parallel, checkpointed source of
// Events. It implements connector.Source[Event]; see the package doc.
type Source struct {
	cfg     Config
	emitted atomic.Int64
}

var _ connector.Source[Event] = (*Source)(nil)
var _ connector.StartPositioner = (*reader)(nil)

// NewSource returns a source of the events of cfg, which must be valid.
func NewSource(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Source{cfg: cfg}, nil
}

// Config is the source's configuration.
func (s *Source) Config() Config { return s.cfg }

// Identity names what makes the stream (connector.Identifier): the number of
// events, the seed and the base time.
func (s *Source) Identity() string {
	return fmt.Sprintf("nexmark events=%d seed=%d base-time=%d", s.cfg.Events, s.cfg.Seed, s.cfg.BaseTime)
}

// Emitted is how many events the source's readers have generated so far,
// counting again those generated anew after a restore: a progress figure.
func (s *Source) Emitted() int64 { return s.emitted.Load() }

// CreateReader implements connector.Source: on a fresh start subtask i of p
// owns split i of cfg.Splits(p); after a restore, the splits of the
// position entries it is given (any number).
func (s *Source) CreateReader(ctx connector.SourceContext) (connector.SourceReader[Event], error) {
	r := &reader{src: s}
	if ctx.Restored != nil {
		for i, b := range ctx.Restored {
			sp, err := decodeSplit(b)
			if err != nil {
				return nil, fmt.Errorf("nexmark: restore: position entry %d of %d: %w", i+1, len(ctx.Restored), err)
			}
			r.gens = append(r.gens, NewGenerator(s.cfg, sp))
		}
	} else {
		p := max(ctx.Parallelism, 1)
		if ctx.Subtask < 0 || ctx.Subtask >= p {
			return nil, fmt.Errorf("nexmark: subtask %d out of range for parallelism %d", ctx.Subtask, p)
		}
		r.gens = []*Generator{NewGenerator(s.cfg, s.cfg.Splits(p)[ctx.Subtask])}
	}
	return r, nil
}

// Position entries: one per split.
//
//	byte     version (1)
//	uvarint  first event id
//	uvarint  events in the split
//	uvarint  generators the events were split among
//	uvarint  events generated so far
const positionVersion = 1

func (s Split) encode() []byte {
	return position.Encode(positionVersion, uint64(s.FirstEventID), uint64(s.MaxEvents), uint64(s.Generators), uint64(s.Next))
}

func decodeSplit(b []byte) (Split, error) {
	v, err := position.Decode(b, positionVersion, "first event id", "max events", "generators", "next")
	if err != nil {
		return Split{}, err
	}
	s := Split{FirstEventID: int64(v[0]), MaxEvents: int64(v[1]), Generators: int(min(v[2], math.MaxInt32)), Next: int64(v[3])}
	if s.Generators < 1 || s.Next > s.MaxEvents {
		return Split{}, fmt.Errorf("invalid split %+v", s)
	}
	return s, nil
}

type reader struct {
	src  *Source
	gens []*Generator
	// Pacing (RateLimited): the wall clock at which the event at time
	// paceTS is due; later events are due that much later.
	paced  bool
	paceAt time.Time
	paceTS int64
}

// pick returns the generator whose next event is earliest, or nil when all
// are done.
func (r *reader) pick() *Generator {
	if len(r.gens) == 1 {
		if r.gens[0].HasNext() {
			return r.gens[0]
		}
		return nil
	}
	var best *Generator
	var bestTS int64
	for _, g := range r.gens {
		if !g.HasNext() {
			continue
		}
		if ts := g.NextTimestamp(); best == nil || ts < bestTS {
			best, bestTS = g, ts
		}
	}
	return best
}

// Fetch implements connector.SourceReader: it generates up to cap(buf)
// events, the earliest of its splits first, and returns the splits'
// positions after them.
func (r *reader) Fetch(ctx context.Context, buf []Event) ([]Event, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return buf, nil, err
	}
	start := len(buf)
	for len(buf) < cap(buf) {
		g := r.pick()
		if g == nil {
			break
		}
		if r.src.cfg.RateLimited {
			wait := r.due(g.NextTimestamp())
			if wait > 0 {
				if len(buf) > start {
					break // hand over what is ready first
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return buf, nil, ctx.Err()
				}
			}
		}
		buf = buf[:len(buf)+1]
		g.Next(&buf[len(buf)-1])
	}
	r.src.emitted.Add(int64(len(buf) - start))
	pos := r.StartPosition()
	if r.pick() == nil {
		if r.src.cfg.Events > 0 || len(r.gens) > 0 {
			return buf, pos, io.EOF
		}
	}
	if len(r.gens) == 0 {
		// Unbounded, and no split to generate: nothing will ever come.
		<-ctx.Done()
		return buf, pos, ctx.Err()
	}
	return buf, pos, nil
}

// due says how long to wait until the event at ts is due on the wall
// clock, the first event seen being due at once.
func (r *reader) due(ts int64) time.Duration {
	now := time.Now()
	if !r.paced {
		r.paced, r.paceAt, r.paceTS = true, now, ts
		return 0
	}
	return r.paceAt.Add(time.Duration(ts-r.paceTS) * time.Millisecond).Sub(now)
}

// StartPosition implements connector.StartPositioner: the splits' positions,
// as Fetch returns them after each batch. Without it a checkpoint taken
// before the first batch would hold no position for the subtask.
func (r *reader) StartPosition() [][]byte {
	pos := make([][]byte, len(r.gens))
	for i, g := range r.gens {
		pos[i] = g.split.encode()
	}
	return pos
}

// Pending implements connector.PendingReporter: with a bounded number of
// events, those of its splits not generated yet; unknown (-1) when
// unbounded. Bytes are unknown: events are generated, not read.
func (r *reader) Pending() (records, bytes int64) {
	if r.src.cfg.Events <= 0 {
		return -1, -1
	}
	for _, g := range r.gens {
		records += max(g.split.MaxEvents-g.split.Next, 0)
	}
	return records, -1
}

// Close implements connector.SourceReader.
func (r *reader) Close() error { return nil }

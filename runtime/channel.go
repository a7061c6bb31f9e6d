package runtime

import (
	"context"
	"sync"
)

// Event is an in-band control element that travels in order with records:
// an operator.Watermark, a CheckpointBarrier or an EndOfPartition.
type Event any

// EndOfPartition says the producer subtask will send nothing more on this
// channel.
type EndOfPartition struct{}

// element is what a channel carries: a data buffer or an event.
type element struct {
	buf *Buffer
	ev  Event
}

// InputGate collects the input channels of one consumer subtask and tells its
// goroutine which channel has data. All channel queues are guarded by the
// gate's mutex, so a producer's enqueue and the consumer's poll meet in one
// place.
type InputGate struct {
	mu struct {
		sync.Mutex
		// ready holds the indices of channels that have queued elements and
		// are not blocked, each at most once, in arrival order.
		ready fifo[int]
	}
	channels []*InputChannel
	notify   chan struct{} // capacity 1: "something may be ready"
}

// NewInputGate returns an empty gate.
func NewInputGate() *InputGate {
	return &InputGate{notify: make(chan struct{}, 1)}
}

// InputChannel is the in-memory channel from one producer subtask to one
// consumer subtask. Data buffers need a credit: the consumer grants one per
// buffer it can hold (buffers-per-channel) and gives it back after it has
// processed and recycled a buffer, so a producer never sends into a full
// consumer. Events need no credit and never wait.
type InputChannel struct {
	gate   *InputGate
	index  int // position in the gate
	input  int // which input of the consumer's head operator
	credit chan struct{}

	// guarded by gate.mu
	queue   fifo[element]
	queued  bool // in gate.mu.ready
	blocked bool // held back (barrier alignment)

	// remote is set when the producer runs on another task manager: the
	// credit goes back over the network (see Network).
	remote *remoteInput
}

// AddChannel creates a channel into the gate for the head's input `input`,
// with `credits` exclusive buffers.
func (g *InputGate) AddChannel(input, credits int) *InputChannel {
	c := &InputChannel{gate: g, index: len(g.channels), input: input, credit: make(chan struct{}, credits)}
	for i := 0; i < credits; i++ {
		c.credit <- struct{}{}
	}
	g.channels = append(g.channels, c)
	return c
}

// SendBuffer enqueues a data buffer, waiting for a credit until ctx is done.
func (c *InputChannel) SendBuffer(ctx context.Context, b *Buffer) error {
	return c.SendBufferMeasured(ctx, b, waitMeter{})
}

// SendBufferMeasured is SendBuffer that counts the time it waits for a
// credit (back pressure) in waited.
func (c *InputChannel) SendBufferMeasured(ctx context.Context, b *Buffer, waited waitMeter) error {
	select {
	case <-c.credit:
	default:
		start := waited.start()
		select {
		case <-c.credit:
		case <-ctx.Done():
			waited.stop(start)
			b.Recycle()
			return context.Cause(ctx)
		}
		waited.stop(start)
	}
	c.enqueue(element{buf: b})
	return nil
}

// SendEvent enqueues an event; it never waits.
func (c *InputChannel) SendEvent(ev Event) { c.enqueue(element{ev: ev}) }

func (c *InputChannel) enqueue(e element) {
	g := c.gate
	g.mu.Lock()
	c.queue.push(e)
	wake := false
	if !c.queued && !c.blocked {
		c.queued = true
		g.mu.ready.push(c.index)
		wake = true
	}
	g.mu.Unlock()
	if wake {
		select {
		case g.notify <- struct{}{}:
		default:
		}
	}
}

// release recycles a consumed data buffer and returns its credit.
func (c *InputChannel) release(b *Buffer) {
	b.Recycle()
	if c.remote != nil {
		c.remote.grant()
		return
	}
	c.credit <- struct{}{}
}

// poll takes the next element of the next ready channel, round-robin.
func (g *InputGate) poll() (element, *InputChannel, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.ready.len() == 0 {
		return element{}, nil, false
	}
	c := g.channels[g.mu.ready.pop()]
	e := c.queue.pop()
	if c.queue.len() > 0 && !c.blocked {
		g.mu.ready.push(c.index)
	} else {
		c.queued = false
	}
	return e, c, true
}

// Block holds channel i back: its elements stay queued until Unblock.
func (g *InputGate) Block(i int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.channels[i]
	c.blocked = true
	if c.queued {
		g.mu.ready.remove(i)
		c.queued = false
	}
}

// Unblock releases a channel held back by Block.
func (g *InputGate) Unblock(i int) {
	g.mu.Lock()
	c := g.channels[i]
	c.blocked = false
	wake := false
	if c.queue.len() > 0 && !c.queued {
		c.queued = true
		g.mu.ready.push(i)
		wake = true
	}
	g.mu.Unlock()
	if wake {
		select {
		case g.notify <- struct{}{}:
		default:
		}
	}
}

// NumChannels is the number of channels in the gate.
func (g *InputGate) NumChannels() int { return len(g.channels) }

// fifo is a first-in first-out queue that reuses its array: a channel's
// queue holds a few elements at a time (its credits' buffers and events),
// and re-slicing the front away would allocate a new array each time it
// drains.
type fifo[T comparable] struct {
	s    []T
	head int
}

func (f *fifo[T]) len() int { return len(f.s) - f.head }

func (f *fifo[T]) push(v T) {
	if f.head > 0 && len(f.s) == cap(f.s) { // full: move the live part down
		n := copy(f.s, f.s[f.head:])
		clear(f.s[n:])
		f.s, f.head = f.s[:n], 0
	}
	f.s = append(f.s, v)
}

// remove takes the first element equal to v out of the queue, if any.
func (f *fifo[T]) remove(v T) {
	live := f.s[f.head:]
	for j, x := range live {
		if x == v {
			copy(live[j:], live[j+1:])
			var zero T
			f.s[len(f.s)-1] = zero
			f.s = f.s[:len(f.s)-1]
			if f.head == len(f.s) {
				f.s, f.head = f.s[:0], 0
			}
			return
		}
	}
}

// pop takes the oldest element; the queue must not be empty.
func (f *fifo[T]) pop() T {
	var zero T
	v := f.s[f.head]
	f.s[f.head] = zero
	f.head++
	if f.head == len(f.s) {
		f.s, f.head = f.s[:0], 0
	}
	return v
}

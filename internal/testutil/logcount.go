package testutil

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
)

// MessageCounter is an slog.Handler that counts the records whose message
// is one of its messages, then hands every record to the handler it wraps.
// Handlers derived with WithAttrs or WithGroup share its counts, so a test
// can ask, from any goroutine and at any time, how often the job logged
// "checkpoint completed" so far.
type MessageCounter struct {
	next   slog.Handler
	counts map[string]*atomic.Int64
}

// CountMessages wraps next, counting the records logged with each of msgs.
func CountMessages(next slog.Handler, msgs ...string) *MessageCounter {
	h := &MessageCounter{next: next, counts: map[string]*atomic.Int64{}}
	for _, m := range msgs {
		h.counts[m] = new(atomic.Int64)
	}
	return h
}

// Count is how many records with message msg were logged so far (0 for a
// message the counter was not told to count).
func (h *MessageCounter) Count(msg string) int64 {
	if c, ok := h.counts[msg]; ok {
		return c.Load()
	}
	return 0
}

// Enabled implements slog.Handler. Every level is counted, whatever the
// wrapped handler shows.
func (h *MessageCounter) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (h *MessageCounter) Handle(ctx context.Context, r slog.Record) error {
	if c, ok := h.counts[r.Message]; ok {
		c.Add(1)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *MessageCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &MessageCounter{next: h.next.WithAttrs(attrs), counts: h.counts}
}

// WithGroup implements slog.Handler.
func (h *MessageCounter) WithGroup(name string) slog.Handler {
	return &MessageCounter{next: h.next.WithGroup(name), counts: h.counts}
}

// CountRestores counts, in a text log (slog.TextHandler's format), the
// restarts that started from a checkpoint: `msg="restarting job"` lines
// that do not say `from="the beginning"`.
func CountRestores(log string) int {
	n := 0
	for l := range strings.Lines(log) {
		if strings.Contains(l, `msg="restarting job"`) && !strings.Contains(l, `from="the beginning"`) {
			n++
		}
	}
	return n
}

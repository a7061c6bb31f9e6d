package windowwordcount

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/jobs"
)

// Options are the job's parameters.
type Options struct {
	// Input is a file or directory path, or socket://HOST:PORT.
	Input string
	// Output is "-" for standard output, "discard", or a directory for part
	// files.
	Output string
	// Window is tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP (see
	// ParseWindow).
	Window string
	// OutOfOrderness is how far behind the highest timestamp seen a record
	// may be and still be on time.
	OutOfOrderness time.Duration
	// AllowedLateness keeps a window's state that long after its end, for
	// late firings.
	AllowedLateness time.Duration
	// LateOutput, when set, is a directory for the records later than the
	// allowed lateness; without it they are dropped and counted in the log.
	LateOutput string
	// Rate, when positive, throttles the source to that many lines a second.
	Rate float64
}

// ErrBadOption marks an option the job refuses before it runs.
var ErrBadOption = jobs.ErrBadOption

// Word is one word of a line, with the line's timestamp.
type Word struct {
	Word string
	TS   int64
}

// ParseDuration reads a duration as Go writes it (1.5s, 200ms, 1m) or as
// a whole number of milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write 10s, 500ms, or milliseconds)", s)
	}
	return d, nil
}

// ParseWindow reads tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP, with
// durations as ParseDuration reads them, into an event-time window
// assigner.
func ParseWindow(spec string) (weir.WindowAssigner, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	parts := strings.Split(rest, ":")
	var ds []time.Duration
	for _, p := range parts {
		if p == "" {
			break
		}
		d, err := ParseDuration(p)
		if err != nil {
			return weir.WindowAssigner{}, fmt.Errorf("%w: --window %q: %w", ErrBadOption, spec, err)
		}
		if d < time.Millisecond {
			return weir.WindowAssigner{}, fmt.Errorf("%w: --window %q: durations must be at least 1ms", ErrBadOption, spec)
		}
		ds = append(ds, d)
	}
	switch {
	case kind == "tumbling" && len(ds) == 1 && len(parts) == 1:
		return weir.TumblingEventTimeWindows(ds[0]), nil
	case kind == "sliding" && len(ds) == 2 && len(parts) == 2:
		return weir.SlidingEventTimeWindows(ds[0], ds[1]), nil
	case kind == "session" && len(ds) == 1 && len(parts) == 1:
		return weir.EventTimeSessionWindows(ds[0]), nil
	}
	return weir.WindowAssigner{}, fmt.Errorf("%w: --window %q: want tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP", ErrBadOption, spec)
}

// ParseLine splits "<epoch-milliseconds> <words...>" into the timestamp and
// the words. A line without a timestamp is an error naming it.
func ParseLine(line string) (ts int64, words []string, err error) {
	fields := strings.Fields(line)
	if len(fields) > 0 {
		ts, err = strconv.ParseInt(fields[0], 10, 64)
	}
	if len(fields) == 0 || err != nil {
		return 0, nil, fmt.Errorf("line %q: want <epoch-milliseconds> <words...>", line)
	}
	return ts, fields[1:], nil
}

// count counts a window's words; it merges, for session windows.
type count struct{}

func (count) CreateAccumulator() int64             { return 0 }
func (count) Add(_ Word, acc int64) (int64, error) { return acc + 1, nil }
func (count) Result(acc int64) (int64, error)      { return acc, nil }
func (count) Merge(a, b int64) (int64, error)      { return a + b, nil }

// watermarks trails the highest timestamp seen by delay+1 ms (Flink's
// BoundedOutOfOrdernessWatermarks), periodically, or with every record
// when perRecord is set.
type watermarks struct {
	delay, max int64
	perRecord  bool
}

func (w *watermarks) OnEvent(ts int64) (int64, bool) {
	w.max = max(w.max, ts)
	return w.max - w.delay - 1, w.perRecord
}

func (w *watermarks) OnPeriodicEmit() (int64, bool) { return w.max - w.delay - 1, true }

var lateTag = weir.NewOutputTag[Word]("late")

// Declare adds the windowed word count to env.
func Declare(env *weir.Environment, o Options) error {
	assigner, err := ParseWindow(o.Window)
	if err != nil {
		return err
	}
	if o.OutOfOrderness < 0 || o.AllowedLateness < 0 {
		return fmt.Errorf("%w: --out-of-orderness and --allowed-lateness must not be negative", ErrBadOption)
	}
	lines, isSocket, err := jobs.Lines(env, o.Input, o.Rate)
	if err != nil {
		return err
	}
	words := weir.FlatMap(lines, func(line string, out weir.Collector[Word]) error {
		if strings.TrimSpace(line) == "" {
			return nil // nothing to count, nothing lost
		}
		ts, ws, err := ParseLine(line)
		if err != nil {
			return err
		}
		for _, w := range ws {
			out.Collect(Word{Word: w, TS: ts})
		}
		return nil
	}).Name("Parse").UID("parse")
	delay := o.OutOfOrderness.Milliseconds()
	perRecord := config.Get(env.Config(), config.AutoWatermarkInterval) == 0
	timed := weir.AssignTimestampsAndWatermarks(words, weir.ForGenerator(func(w Word) int64 { return w.TS }, func() weir.WatermarkGenerator {
		return &watermarks{delay: delay, max: math.MinInt64 + delay + 1, perRecord: perRecord}
	})).Name("Timestamps").UID("timestamps")
	if isSocket {
		// One socket, one stream of event time: keep it in one subtask.
		words.SetParallelism(1)
		timed.SetParallelism(1)
	}
	ws := weir.Window(weir.KeyBy(timed, func(w Word) string { return w.Word }), assigner).AllowedLateness(o.AllowedLateness)
	if o.LateOutput != "" {
		if _, err := file.LocalPath(o.LateOutput); err != nil {
			return fmt.Errorf("%w: --late-output %q: %w", ErrBadOption, o.LateOutput, err)
		}
		ws = ws.SideOutputLateData(lateTag)
	}
	counts := weir.AggregateProcessWindow(ws, count{}, func(ctx weir.WindowContext[string], n []int64, out weir.Collector[string]) error {
		out.Collect(fmt.Sprintf("%d,%d,%s,%d", ctx.Window.Start, ctx.Window.End, jobs.CSVField(ctx.Key), n[0]))
		return nil
	}).Name("Window").UID("window")
	if err := jobs.Output(counts, o.Output); err != nil {
		return err
	}
	if o.LateOutput != "" {
		late := weir.Map(weir.SideOutput(counts, lateTag), func(w Word) (string, error) {
			return strconv.FormatInt(w.TS, 10) + " " + w.Word, nil
		}).Name("Late").UID("late-format")
		late.SinkTo(file.NewSink(o.LateOutput), "Late files").UID("late-sink")
	}
	return nil
}

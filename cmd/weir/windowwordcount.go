package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/jobs/windowwordcount"
)

// durationFlag is a duration flag that takes Go durations (1.5s, 200ms)
// or whole milliseconds.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return "0s"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := windowwordcount.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (durationFlag) Type() string { return "duration" }

// newWindowWordCountCmd is `weir run window-wordcount`.
func windowWordCountJob() cli.Job {
	var o windowwordcount.Options
	return cli.Job{
		Name:  "window-wordcount",
		Short: "Count words per event-time window: every firing writes window_start_ms,window_end_ms,word,count",
		Long: `Count words per event-time window, after Flink's WindowWordCount.

Each input line is "<epoch-milliseconds> <words...>"; event time is that
timestamp (blank lines are skipped; a line without a timestamp fails the
job). Every window firing writes one line per word of the window:
window_start_ms,window_end_ms,word,count. A record later than the watermark
but within --allowed-lateness fires its window again, and the word's line
is written again with the updated count. Records later than that go to
--late-output as "<epoch-milliseconds> <word>" lines, or are dropped and
counted in the log (numLateRecordsDropped).

The watermark trails the highest timestamp by --out-of-orderness + 1 ms,
every pipeline.auto-watermark-interval (200ms); -D
pipeline.auto-watermark-interval=0 emits it with every record instead.
Durations are Go durations (10s, 500ms, 1m) or milliseconds.`,
		Args:    cobra.NoArgs,
		Version: versionString(),
		Flags: func(f *pflag.FlagSet) {
			f.StringVar(&o.Input, "input", "", "a file, a directory of files, or socket://HOST:PORT")
			f.StringVar(&o.Output, "output", "-", "- for standard output, discard, a directory for part files, or s3://BUCKET/PREFIX (exactly-once multipart uploads)")
			f.StringVar(&o.Window, "window", "", "tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP (required)")
			f.Var(durationFlag{&o.OutOfOrderness}, "out-of-orderness", "how far behind the highest timestamp a record may be and still be on time")
			f.Var(durationFlag{&o.AllowedLateness}, "allowed-lateness", "how long a window is kept after its end for late firings")
			f.StringVar(&o.LateOutput, "late-output", "", "a directory for the records later than the allowed lateness")
			f.Float64Var(&o.Rate, "rate", 0, "throttle the source to this many lines per second in total, shared by its subtasks: one with nothing to read leaves its share to the others")
		},
		Build: func(env *weir.Environment, _ []string) error { return windowwordcount.Declare(env, o) },
	}
}

package wordcount

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/jobs"
)

// Options are the job's parameters.
type Options struct {
	// Input is a file or directory path, or socket://HOST:PORT.
	Input string
	// Output is "-" for standard output, "discard", or a directory for part
	// files.
	Output string
	// FailOn, when set, makes the split function fail on a line equal to it.
	FailOn string
	// StallOn, when set, makes the split function block for Stall on a
	// line equal to it, as a function that loads a cache does: heartbeats
	// and the rest of the engine go on meanwhile.
	StallOn string
	Stall   time.Duration
	// Rate, when positive, throttles the source to that many lines a second.
	Rate float64
}

// ErrBadOption marks an option the job refuses before it runs.
var ErrBadOption = jobs.ErrBadOption

// Declare adds the word count to env.
func Declare(env *weir.Environment, o Options) error {
	lines, _, err := jobs.Lines(env, o.Input, o.Rate)
	if err != nil {
		return err
	}
	failOn, stallOn, stall := o.FailOn, o.StallOn, o.Stall
	words := weir.FlatMap(lines, func(line string, out weir.Collector[weir.Tuple2[string, int64]]) error {
		if failOn != "" && line == failOn {
			return fmt.Errorf("line %q matches --fail-on", line)
		}
		if stallOn != "" && line == stallOn {
			time.Sleep(stall) // the user function's own slowness, which --stall-on demonstrates
		}
		for w := range strings.FieldsSeq(line) {
			out.Collect(weir.Tuple2[string, int64]{F0: w, F1: 1})
		}
		return nil
	}).Name("Split").UID("split")
	counts := weir.Sum(weir.KeyBy(words, func(t weir.Tuple2[string, int64]) string { return t.F0 }),
		func(t *weir.Tuple2[string, int64]) *int64 { return &t.F1 }).Name("Count").UID("count")
	out := weir.Map(counts, func(t weir.Tuple2[string, int64]) (string, error) {
		return jobs.CSVField(t.F0) + "," + strconv.FormatInt(t.F1, 10), nil
	}).Name("Format").UID("format")
	return jobs.Output(out, o.Output)
}

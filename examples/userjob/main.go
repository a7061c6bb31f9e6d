// Command userjob is a complete job of a user's own, written against the
// public API and run with package cli: it gets the command line of `weir
// run` (-D, --config, -p, --from-checkpoint, the REST API and dashboard,
// Ctrl-C handling, the exit codes) from one call.
//
// It reads lines "ACCOUNT AMOUNT" (blank lines are skipped), keeps a
// running total per account, and writes every update as ACCOUNT,TOTAL:
//
//	go run ./examples/userjob --input payments.txt --output -
//	go run ./examples/userjob --input payments.txt --output out -D execution.checkpointing.interval=1s
//	go run ./examples/userjob --input payments.txt --output out -D execution.checkpointing.interval=1s --from-checkpoint latest
//	go run ./examples/userjob --help
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/connector/print"
)

func main() {
	var input, output string
	cli.Job{
		Name:  "userjob",
		Short: "Total the amounts per account of ACCOUNT AMOUNT lines; every update is written as ACCOUNT,TOTAL",
		Flags: func(f *pflag.FlagSet) {
			f.StringVar(&input, "input", "", "a file or a directory of files of ACCOUNT AMOUNT lines (required)")
			f.StringVar(&output, "output", "-", "- for standard output, or a directory for part files (exactly-once with checkpoints)")
		},
		Build: func(env *weir.Environment, _ []string) error {
			return declare(env, input, output)
		},
	}.Main()
}

// declare adds the job to env.
func declare(env *weir.Environment, input, output string) error {
	if input == "" {
		return errors.New("--input is required: a file or a directory of ACCOUNT AMOUNT lines")
	}
	if _, err := os.Stat(input); err != nil {
		return fmt.Errorf("--input: %w", err)
	}
	lines := weir.FromSource(env, file.NewSource(input), "Payments").UID("source")
	payments := weir.FlatMap(lines, func(line string, out weir.Collector[weir.Tuple2[string, int64]]) error {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			return nil
		}
		if len(fields) != 2 {
			return fmt.Errorf("line %q: want ACCOUNT AMOUNT", line)
		}
		amount, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return fmt.Errorf("line %q: the amount is not a whole number: %w", line, err)
		}
		out.Collect(weir.Tuple2[string, int64]{F0: fields[0], F1: amount})
		return nil
	}).Name("Parse").UID("parse")
	totals := weir.Sum(weir.KeyBy(payments, func(p weir.Tuple2[string, int64]) string { return p.F0 }),
		func(p *weir.Tuple2[string, int64]) *int64 { return &p.F1 }).Name("Total").UID("total")
	rows := weir.Map(totals, func(t weir.Tuple2[string, int64]) (string, error) {
		return t.F0 + "," + strconv.FormatInt(t.F1, 10), nil
	}).Name("Format").UID("format")
	if output == "-" {
		rows.SinkTo(print.New[string](os.Stdout, nil, print.WithoutPrefix()), "Print").UID("sink")
	} else {
		rows.SinkTo(file.NewSink(output), "Files").UID("sink")
	}
	return nil
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	gen "github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/examples/nexmark"
	"github.com/weirstream/weir/jobs"
	"github.com/weirstream/weir/jobs/wordcount"
)

// nexmarkPrefix marks the -D options that configure the Nexmark generator
// (-D nexmark.first-event.rate=1000) rather than the engine.
const nexmarkPrefix = "nexmark."

// benchFlags are the flags every `weir bench JOB` takes besides the
// common ones.
type benchFlags struct {
	output   string
	progress time.Duration
	json     bool
}

func (b *benchFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&b.output, "output", "", "write the result rows: - for standard output (CSV), or a directory for part files; by default they are discarded unformatted")
	cmd.Flags().DurationVar(&b.progress, "progress", 5*time.Second, "how often to log progress (0: never)")
	cmd.Flags().BoolVar(&b.json, "json", false, "print the final report as one JSON object")
}

// newBenchCmd is `weir bench`.
func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:   "bench JOB",
		Short: "Run a benchmark job and report its throughput, CPU and memory",
		Long: `Run a benchmark job on the embedded local runtime and report, at the end:
events, seconds, events per second, CPU seconds and cores used (getrusage),
events per second per core used (events / CPU seconds), and peak memory
(VmHWM). Progress is logged while it runs. The report goes to standard
output, or to standard error when --output - writes rows there.`,
	}
	bench.AddCommand(newBenchNexmarkCmd(stdout, stderr), newBenchWordCountCmd(stdout, stderr))
	return bench
}

func newBenchNexmarkCmd(stdout, stderr io.Writer) *cobra.Command {
	var common cli.Flags
	var bf benchFlags
	var query, dump string
	var events int64
	var rate float64
	cmd := &cobra.Command{
		Use:   "nexmark --query qN --events N",
		Short: "Run a Nexmark query (q0-q8) over generated events",
		Long: `Run a Nexmark query over the events of the Nexmark generator (connector/nexmark)
and report the throughput. Queries: ` + queryList() + `.

--output writes the query's rows as CSV in the column order of the SQL
definition (docs/nexmark.md), timestamps as epoch milliseconds; q4 and q6
write every update as a row (the last row of a category, or of a seller, is
its value).
--dump-events FILE first writes the events the job will read as JSON lines,
one object per event with its "type" (person, auction, bid) and its fields,
split by split (source subtask 0's events, then subtask 1's...).

Generator options are -D nexmark.<option>=<value> with the Flink suite's
names: ` + strings.Join(gen.Options(), ", ") + `.
Other -D options configure the engine (checkpoints: -D execution.checkpointing.interval=10s).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if query == "" {
				// One report per run, so no default set: say what to pick.
				return cli.Usage(fmt.Errorf("--query is required: one of %s (docs/nexmark.md describes them), e.g. weir bench nexmark --query q5 --events 1000000", queryList()))
			}
			q, err := nexmark.Lookup(query)
			if err != nil {
				return cli.Usage(fmt.Errorf("--query: %w", err))
			}
			gcfg := gen.DefaultConfig()
			engine := common
			engine.Defines = nil
			for _, kv := range common.Defines {
				k, v, _ := strings.Cut(kv, "=")
				name, ok := strings.CutPrefix(strings.TrimSpace(k), nexmarkPrefix)
				if !ok {
					engine.Defines = append(engine.Defines, kv)
					continue
				}
				if err := gcfg.Set(name, v); err != nil {
					return cli.Usage(fmt.Errorf("-D %s: %w", kv, err))
				}
			}
			if cmd.Flags().Changed("events") || gcfg.Events == 0 {
				gcfg.Events = events
			}
			if gcfg.Events <= 0 {
				return cli.Usage(fmt.Errorf("--events %d: a benchmark needs a positive number of events", gcfg.Events))
			}
			if rate < 0 {
				return cli.Usage(fmt.Errorf("--rate %v: must not be negative", rate))
			}
			if err := gcfg.Validate(); err != nil {
				return cli.Usage(err)
			}
			env, logger, err := engine.Environment(stderr)
			if err != nil {
				return err
			}
			in, src, err := nexmark.Events(env, gcfg, rate)
			if err != nil {
				return cli.Usage(err)
			}
			if bf.output == "" {
				q.Discard(in)
			} else if err := jobs.Output(q.Lines(in), bf.output); err != nil {
				return cli.Usage(err)
			}
			if dump != "" {
				if err := dumpEvents(cmd.Context(), dump, gcfg, in.Parallelism); err != nil {
					return err
				}
				logger.Info("events dumped", "file", dump, "events", gcfg.Events)
			}
			name := "nexmark-" + q.Name
			rep, err := measure(cmd.Context(), env, name, &engine, logger, bf.progress, src.Emitted)
			if err != nil {
				return err
			}
			rep.Job, rep.Events, rep.Parallelism = name, gcfg.Events, in.Parallelism
			return rep.print(reportWriter(stdout, stderr, bf.output), bf.json)
		},
	}
	f := cmd.Flags()
	f.StringVar(&query, "query", "", "the query: "+queryList()+" (required)")
	f.Int64Var(&events, "events", 10_000_000, "events to generate (nexmark.events.num)")
	f.StringVar(&dump, "dump-events", "", "write the events as JSON lines to this file before running")
	f.Float64Var(&rate, "rate", 0, "throttle the source to this many events per second in all (0: full speed)")
	bf.register(cmd)
	common.Version = versionString()
	common.Register(cmd)
	return cmd
}

func queryList() string {
	names := make([]string, len(nexmark.Queries))
	for i, q := range nexmark.Queries {
		names[i] = q.Name
	}
	return strings.Join(names, ", ")
}

// dumpEvents writes the events of cfg at parallelism p as JSON lines.
func dumpEvents(ctx context.Context, path string, cfg gen.Config, p int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--dump-events: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for e := range cfg.Generate(p) {
		if err = enc.Encode(e); err != nil {
			break
		}
		if n++; n%65536 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--dump-events %s: %w", path, err)
	}
	return nil
}

func newBenchWordCountCmd(stdout, stderr io.Writer) *cobra.Command {
	var common cli.Flags
	var bf benchFlags
	var input string
	var lines int64
	var rate float64
	cmd := &cobra.Command{
		Use:   "wordcount [--input PATH | --lines N]",
		Short: "Run the word count (weir run wordcount) and report its throughput in words",
		Long: `Run the built-in word count over a file, or over --lines generated lines (10
words each from a 10 000-word vocabulary, deterministic; written to a
temporary file first), and report its throughput in words (the events).
--output writes the word,count updates; by default they are discarded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lines <= 0 && input == "" {
				return cli.Usage(errors.New("--lines must be positive (or give --input)"))
			}
			env, logger, err := common.Environment(stderr)
			if err != nil {
				return err
			}
			if input == "" {
				dir, err := os.MkdirTemp("", "weir-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				input = filepath.Join(dir, "words.txt")
				if err := writeLines(cmd.Context(), input, lines); err != nil {
					return err
				}
			}
			words, err := countWords(input)
			if err != nil {
				return cli.Usage(fmt.Errorf("--input: %w", err))
			}
			out := bf.output
			if out == "" {
				out = "discard"
			}
			if err := wordcount.Declare(env, wordcount.Options{Input: input, Output: out, Rate: rate}); err != nil {
				return err
			}
			counter := func() int64 { return -1 }
			rep, err := measure(cmd.Context(), env, "wordcount", &common, logger, bf.progress, counter)
			if err != nil {
				return err
			}
			rep.Job, rep.Events, rep.Parallelism = "wordcount", words, config.Get(env.Config(), config.DefaultParallelism)
			return rep.print(reportWriter(stdout, stderr, bf.output), bf.json)
		},
	}
	f := cmd.Flags()
	f.StringVar(&input, "input", "", "a file or directory of text (default: generated lines)")
	f.Int64Var(&lines, "lines", 1_000_000, "lines to generate when there is no --input")
	f.Float64Var(&rate, "rate", 0, "throttle the source to this many lines per second in total, shared by its subtasks (0: full speed)")
	bf.register(cmd)
	common.Version = versionString()
	common.Register(cmd)
	return cmd
}

// writeLines writes n generated lines of 10 words (datagen.Lines, seed 42,
// 10 000 words) to path.
func writeLines(ctx context.Context, path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r, err := datagen.Lines(n, 42, 10, 10000).CreateReader(weir.SourceContext{Parallelism: 1})
	if err == nil {
		buf := make([]string, 0, 1024)
		for {
			var recs []string
			recs, _, err = r.Fetch(ctx, buf[:0])
			for _, l := range recs {
				w.WriteString(l)
				w.WriteByte('\n')
			}
			if err != nil {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the generated input: %w", err)
	}
	return nil
}

// countWords counts the white-space separated words of a file or of the
// files of a directory.
func countWords(path string) (int64, error) {
	var n int64
	err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<30)
		sc.Split(bufio.ScanWords)
		for sc.Scan() {
			n++
		}
		return sc.Err()
	})
	return n, err
}

// report is what a benchmark run measured.
type report struct {
	Job          string  `json:"job"`
	Events       int64   `json:"events"`
	Parallelism  int     `json:"parallelism"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_second"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	CoresUsed    float64 `json:"cores_used"`
	PerCore      float64 `json:"events_per_second_per_core"`
	PeakMemory   int64   `json:"peak_memory_bytes"`
	Checkpoints  int     `json:"checkpoints"`
	StateBackend string  `json:"state_backend"`
	Restarts     int     `json:"restarts"`
}

func (r *report) print(w io.Writer, asJSON bool) error {
	if r.Seconds > 0 {
		r.EventsPerSec = float64(r.Events) / r.Seconds
		r.CoresUsed = r.CPUSeconds / r.Seconds
	}
	if r.CPUSeconds > 0 {
		r.PerCore = float64(r.Events) / r.CPUSeconds
	}
	if asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "job                   %s\n", r.Job)
	fmt.Fprintf(&b, "parallelism           %d\n", r.Parallelism)
	fmt.Fprintf(&b, "events                %d\n", r.Events)
	fmt.Fprintf(&b, "seconds               %.3f\n", r.Seconds)
	fmt.Fprintf(&b, "events/s              %.0f\n", r.EventsPerSec)
	fmt.Fprintf(&b, "cpu seconds           %.3f\n", r.CPUSeconds)
	fmt.Fprintf(&b, "cores used            %.2f (of %d)\n", r.CoresUsed, runtime.NumCPU())
	fmt.Fprintf(&b, "events/s per core     %.0f\n", r.PerCore)
	fmt.Fprintf(&b, "peak memory           %.1f MiB\n", float64(r.PeakMemory)/(1<<20))
	fmt.Fprintf(&b, "checkpoints           %d\n", r.Checkpoints)
	fmt.Fprintf(&b, "restarts              %d\n", r.Restarts)
	_, err := w.Write(b.Bytes())
	return err
}

// reportWriter is standard output, unless the rows go there.
func reportWriter(stdout, stderr io.Writer, output string) io.Writer {
	if output == "-" {
		return stderr
	}
	return stdout
}

// measure runs the declared job as `weir run` does and measures its wall
// time, CPU time and peak memory, logging progress every interval
// (emitted, when it is not negative, counts the events so far).
func measure(ctx context.Context, env *weir.Environment, name string, f *cli.Flags, logger *slog.Logger, every time.Duration, emitted func() int64) (*report, error) {
	cpu0 := cpuTime()
	start := time.Now()
	progressCtx, stopProgress := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if every > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logProgress(progressCtx, logger, every, start, emitted)
		}()
	}
	err := f.Execute(ctx, env, name, logger)
	stopProgress()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	r := &report{
		Seconds:      time.Since(start).Seconds(),
		CPUSeconds:   (cpuTime() - cpu0).Seconds(),
		PeakMemory:   peakMemory(),
		Restarts:     env.Job().Restarts(),
		StateBackend: config.Get(env.Config(), config.StateBackendType),
	}
	if st, ok := env.Job().CheckpointStats(); ok {
		r.Checkpoints = int(st.Completed)
	}
	return r, nil
}

func logProgress(ctx context.Context, logger *slog.Logger, every time.Duration, start time.Time, emitted func() int64) {
	t := time.NewTicker(every)
	defer t.Stop()
	cpu0 := cpuTime()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			el := now.Sub(start).Seconds()
			attrs := []any{"seconds", strconv.FormatFloat(el, 'f', 1, 64), "cores_used", strconv.FormatFloat((cpuTime()-cpu0).Seconds()/el, 'f', 2, 64)}
			if n := emitted(); n >= 0 {
				attrs = append(attrs, "events", n, "events_per_second", int64(float64(n)/el))
			}
			logger.Info("progress", attrs...)
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakMemory is the process's peak resident set size: VmHWM from
// /proc/self/status, or getrusage's maxrss where there is no /proc.
func peakMemory() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

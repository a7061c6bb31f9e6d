package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	gen "github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/examples/nexmark"
	"github.com/weirstream/weir/jobs"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/jobs/wordcount"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// usageError marks a refusal before anything ran: exit code 2.
type usageError = cli.UsageError

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the weir command with args: the common flags, the signals, the
// one-line errors and the exit codes are package cli's, as for a user's job.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Run(newRoot(stdout, stderr), args, stderr)
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "weir",
		Short:         "Weir: stream processing with Flink-grade fault tolerance",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.Usage(err) })
	root.AddCommand(newRunCmd(stderr), newJobManagerCmd(stderr), newTaskManagerCmd(stderr), newBenchCmd(stdout, stderr), newConfigCmd(), withDiagnose(newCheckpointCmd()), newCancelCmd(), newHistoryServerCmd(stderr), &cobra.Command{
		Use:   "version",
		Short: "Print the version (as --version does)",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "weir", versionString()) },
	})
	root.Version = versionString()
	root.SetVersionTemplate("weir {{.Version}}\n")
	refuseUnknown(root)
	return root
}

// refuseUnknown makes every command's argument errors usage errors (exit 2),
// and makes a command that only groups others (weir, weir run, weir
// checkpoint) refuse an unknown subcommand with one line instead of printing
// its help and exiting 0; without arguments it still prints its help.
func refuseUnknown(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknown(sub)
	}
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs // Find's own check would not be one line
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return cli.Usage(unknownCommand(cmd, args[0]))
		}
		return
	}
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var ue usageError
				if errors.As(err, &ue) {
					return err
				}
				return cli.Usage(err)
			}
			return nil
		}
	}
}

// unknownCommand is the one-line refusal of arg under the group cmd.
func unknownCommand(cmd *cobra.Command, arg string) error {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	hint := ""
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		hint = fmt.Sprintf("did you mean %q? ", s[0])
	}
	return fmt.Errorf("unknown command %q for %q (%sthe commands: %s)", arg, cmd.CommandPath(), hint, strings.Join(names, ", "))
}

// versionString is the build's version: -ldflags "-X main.version=..." when
// set, else the module version and VCS revision the Go toolchain recorded
// (cli.Version).
func versionString() string {
	if version != "dev" {
		return version
	}
	return cli.Version()
}

// formatVersion words the version of bi (cli.FormatVersion).
func formatVersion(bi *debug.BuildInfo) string { return cli.FormatVersion(bi) }

func newRunCmd(stderr io.Writer) *cobra.Command {
	run := &cobra.Command{Use: "run JOB", Short: "Run a built-in job on the embedded local runtime"}
	for _, j := range builtinJobs() {
		run.AddCommand(j.Command(stderr))
	}
	return run
}

// builtinJobs are the jobs weir run, weir jobmanager and weir taskmanager
// know, each with options of its own (a task manager builds a fresh one
// for each deployment).
func builtinJobs() []cli.Job {
	var o wordcount.Options
	wc := cli.Job{
		Name:    "wordcount",
		Short:   "Count words: every update is written as word,count",
		Args:    cobra.NoArgs,
		Version: versionString(),
		Flags: func(f *pflag.FlagSet) {
			f.StringVar(&o.Input, "input", "", "a file, a directory of files, or socket://HOST:PORT")
			f.StringVar(&o.Output, "output", "-", "- for standard output, discard, a directory for part files, or s3://BUCKET/PREFIX (exactly-once multipart uploads)")
			f.Float64Var(&o.Rate, "rate", 0, "throttle the source to this many lines per second in total, shared by its subtasks: one with nothing to read leaves its share to the others")
			f.StringVar(&o.FailOn, "fail-on", "", "fail the job on a line equal to this token (to show recovery)")
			f.StringVar(&o.StallOn, "stall-on", "", "block the split function for --stall on a line equal to this token, as a function loading a cache does (to show that heartbeats and checkpoints cope)")
			f.DurationVar(&o.Stall, "stall", 0, "how long --stall-on blocks")
		},
		Build: func(env *weir.Environment, _ []string) error { return wordcount.Declare(env, o) },
	}
	return []cli.Job{wc, windowWordCountJob(), nexmarkJob()}
}

// nexmarkJob runs one Nexmark query over generated events as a job of its
// own (weir bench nexmark measures the same query): on a cluster too.
func nexmarkJob() cli.Job {
	var (
		query, output string
		events        int64
		rate          float64
	)
	return cli.Job{
		Name:    "nexmark",
		Short:   "Run a Nexmark query over generated events; its result rows are written as CSV",
		Long:    "Run a Nexmark query (docs/nexmark.md) over events the generator makes, deterministic for its seed, and write the result rows as CSV. weir bench nexmark runs the same queries and reports their throughput; it also takes the generator's -D nexmark.* options.",
		Args:    cobra.NoArgs,
		Version: versionString(),
		Flags: func(f *pflag.FlagSet) {
			f.StringVar(&query, "query", "", "the query: "+queryList()+" (required)")
			f.Int64Var(&events, "events", 1_000_000, "events to generate")
			f.Float64Var(&rate, "rate", 0, "throttle the source to this many events per second in all (0: full speed)")
			f.StringVar(&output, "output", "-", "- for standard output, discard, a directory for part files, or s3://BUCKET/PREFIX")
		},
		Build: func(env *weir.Environment, _ []string) error {
			q, err := nexmark.Lookup(query)
			if err != nil {
				return fmt.Errorf("--query %q: %w (one of %s)", query, err, queryList())
			}
			cfg := gen.DefaultConfig()
			cfg.Events = events
			if err := cfg.Validate(); err != nil {
				return err
			}
			if events <= 0 || rate < 0 {
				return fmt.Errorf("--events %d, --rate %v: want a positive number of events and a rate of 0 or more", events, rate)
			}
			in, _, err := nexmark.Events(env, cfg, rate)
			if err != nil {
				return err
			}
			if output == "discard" {
				q.Discard(in)
				return nil
			}
			return jobs.Output(q.Lines(in), output)
		},
	}
}

// newJobManagerCmd and newTaskManagerCmd are the cluster roles for the
// built-in jobs.
func newJobManagerCmd(stderr io.Writer) *cobra.Command {
	return cli.JobManagerCommand(stderr, builtinJobs()...)
}

func newTaskManagerCmd(stderr io.Writer) *cobra.Command {
	return cli.TaskManagerCommand(stderr, builtinJobs()...)
}

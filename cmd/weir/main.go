package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/jobs"
	"github.com/weirstream/weir/jobs/wordcount"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// usageError marks a refusal before anything ran: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "weir: %s\n", oneLine(err))
	// Every built-in job's refused options wrap jobs.ErrBadOption.
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, config.ErrInvalidValue) || errors.Is(err, config.ErrUnknownOption) || errors.Is(err, jobs.ErrBadOption) {
		return 2
	}
	// An input file that changed under its checkpoint, or a line of one
	// over source.max-record-size: the same input fails the same way.
	if errors.Is(err, file.ErrInputChanged) || (errors.Is(err, connector.ErrRecordTooLarge) && errors.Is(err, failover.ErrNoRestart)) {
		return 2
	}
	if errors.Is(err, weir.ErrOutputMayRepeat) {
		// The job ran to its end, but restored an older checkpoint with a
		// sink that cannot take back what newer ones committed.
		return 3
	}
	return 1
}

// oneLine joins a multi-line error (errors.Join) into one line.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
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
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRunCmd(stderr), newBenchCmd(stdout, stderr), newConfigCmd(), withDiagnose(newCheckpointCmd()), newCancelCmd(), &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "weir", version) },
	})
	return root
}

// commonFlags are the flags every `weir run JOB` takes.
type commonFlags struct {
	fromCheckpoint   string
	allowNonRestored bool
	parallelism      int
	defines          []string
	configFile       string
	logLevel         string
	web              string // --web HOST:PORT; "" for rest.bind-address:rest.port
	noWeb            bool
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.parallelism, "parallelism", "p", 0, "parallelism of every operator (parallelism.default)")
	cmd.Flags().StringArrayVarP(&f.defines, "define", "D", nil, "set an option, key=value, with Flink's option names (repeatable)")
	cmd.Flags().StringVar(&f.configFile, "config", "", "YAML file of options (Flink's config.yaml layout)")
	cmd.Flags().StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVarP(&f.fromCheckpoint, "from-checkpoint", "s", "", "start from a retained checkpoint: a chk-<n> directory, its _metadata, a job directory, latest (the job's newest; refused when it has none or finished), or latest-or-fresh (latest, or a fresh start when the job has no checkpoint yet)")
	cmd.Flags().BoolVar(&f.allowNonRestored, "allow-non-restored-state", false, "start even if the checkpoint holds state of operators the job no longer has (that state is dropped)")
	cmd.Flags().StringVar(&f.web, "web", "", "serve the REST API, /metrics and the dashboard on HOST:PORT (port 0: any free port) instead of rest.bind-address:rest.port")
	cmd.Flags().BoolVar(&f.noWeb, "no-web", false, "serve no REST API, metrics or dashboard")
}

// config builds the configuration: file first, then -D, then flags.
func (f *commonFlags) config() (*config.Config, error) {
	if err := f.checkWeb(); err != nil {
		return nil, err
	}
	cfg := config.New()
	if f.configFile != "" {
		if err := cfg.LoadYAML(f.configFile); err != nil {
			return nil, usageError{err}
		}
	}
	if err := cfg.SetPairs(f.defines); err != nil {
		return nil, usageError{err}
	}
	if f.parallelism != 0 {
		if err := cfg.Set(config.DefaultParallelism.Key(), fmt.Sprint(f.parallelism)); err != nil {
			return nil, usageError{fmt.Errorf("--parallelism: %w", err)}
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func (f *commonFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)}
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// environment makes the job's environment from the flags' configuration,
// with their logger.
func (f *commonFlags) environment(stderr io.Writer) (*weir.Environment, *slog.Logger, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, nil, err
	}
	logger, err := f.logger(stderr)
	if err != nil {
		return nil, nil, err
	}
	env := weir.NewEnvironment(cfg)
	env.SetLogger(logger)
	return env, logger, nil
}

// execute runs a declared job and words its end. name is the job's
// built-in name; pipeline.name, when set, replaces it (it names the job's
// checkpoint directory too).
func execute(ctx context.Context, env *weir.Environment, name string, f commonFlags, logger *slog.Logger) error {
	if _, _, err := env.Plan(); err != nil {
		return usageError{err}
	}
	if n, ok := config.Lookup(env.Config(), config.PipelineName); ok && strings.TrimSpace(n) != "" {
		name = n
	}
	if f.fromCheckpoint != "" {
		env.RestoreFrom(f.fromCheckpoint, f.allowNonRestored)
	}
	stopWeb, err := startWeb(env, f, logger)
	if err != nil {
		return usageError{err}
	}
	err = env.Execute(ctx, name)
	stopWeb()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, weir.ErrRestore):
		return usageError{err}
	case errors.Is(err, weir.ErrOutputMayRepeat):
		return err // "job X finished, but output may repeat: ..."
	case errors.Is(err, context.Canceled) && (ctx.Err() != nil || env.Job().State() == weir.StateCanceled):
		return fmt.Errorf("job %s cancelled", name)
	}
	return fmt.Errorf("job %s failed: %w", name, err)
}

func newRunCmd(stderr io.Writer) *cobra.Command {
	run := &cobra.Command{Use: "run JOB", Short: "Run a built-in job on the embedded local runtime"}
	var common commonFlags
	var o wordcount.Options
	wc := &cobra.Command{
		Use:   "wordcount",
		Short: "Count words: every update is written as word,count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, logger, err := common.environment(stderr)
			if err != nil {
				return err
			}
			if err := wordcount.Declare(env, o); err != nil {
				return err
			}
			return execute(cmd.Context(), env, "wordcount", common, logger)
		},
	}
	wc.Flags().StringVar(&o.Input, "input", "", "a file, a directory of files, or socket://HOST:PORT")
	wc.Flags().StringVar(&o.Output, "output", "-", "- for standard output, discard, or a directory for part files")
	wc.Flags().Float64Var(&o.Rate, "rate", 0, "throttle the source to this many lines per second in total, shared by its subtasks: one with nothing to read leaves its share to the others")
	wc.Flags().StringVar(&o.FailOn, "fail-on", "", "fail the job on a line equal to this token (to show recovery)")
	common.register(wc)
	run.AddCommand(wc)
	run.AddCommand(newWindowWordCountCmd(stderr))
	return run
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/jobs"
)

// The exit codes (package doc).
const (
	ExitOK              = 0
	ExitFailed          = 1
	ExitUsage           = 2
	ExitOutputMayRepeat = 3
	// ExitInterrupted is the exit code after Ctrl-C (SIGINT) stopped a
	// command: 128 + SIGINT, as shells report it and Flink's CLI exits.
	ExitInterrupted = 130
)

// UsageError marks a refusal before anything ran: exit code 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usage marks err as a refusal before anything ran (exit code 2); nil stays
// nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Job is a dataflow with a command line: what a built-in job of `weir run`
// is, and what a user's own program is.
type Job struct {
	// Name names the job (pipeline.name, when set, replaces it; it also
	// names the job's checkpoint directory) and the command.
	Name string
	// Short and Long are the command's help texts; Short defaults to
	// "Run the job NAME".
	Short, Long string
	// Args checks the positional arguments; nil takes any.
	Args cobra.PositionalArgs
	// Flags, when set, adds the job's own flags beside the common ones.
	Flags func(fs *pflag.FlagSet)
	// Build declares the job on env; args are the positional arguments. An
	// error refuses the run with exit code 2: nothing ran yet.
	Build func(env *weir.Environment, args []string) error
	// Version is what the REST API reports; "" for Version().
	Version string
}

// Main runs the job build declares with the command line of `weir run`,
// then exits the process with the code the run ended with. It is all a
// user's main needs to call.
func Main(name string, build func(env *weir.Environment, args []string) error) {
	Job{Name: name, Build: build}.Main()
}

// Main runs j with the process's arguments and exits with its code. The
// first argument, or else the WEIR_ROLE environment variable, may choose a
// cluster role: "jobmanager" runs the job as a cluster's job manager (with
// the job's own flags, as `weir jobmanager JOB` does), "taskmanager" runs
// a task manager of it (--jobmanager HOST:PORT); without one the job runs
// in this process, as `weir run JOB` does.
func (j Job) Main() {
	os.Exit(j.run(os.Args[1:], os.Getenv("WEIR_ROLE"), os.Stderr))
}

func (j Job) run(args []string, role string, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "jobmanager" || args[0] == "taskmanager") {
		role, args = args[0], args[1:]
	}
	switch role {
	case "":
		return Run(j.Command(stderr), args, stderr)
	case "jobmanager":
		return Run(JobManagerCommand(stderr, j), append([]string{j.Name}, args...), stderr)
	case "taskmanager":
		return Run(TaskManagerCommand(stderr, j), args, stderr)
	}
	fmt.Fprintf(stderr, "%s: WEIR_ROLE=%q: want jobmanager, taskmanager, or nothing to run the job in this process\n", j.Name, role)
	return ExitUsage
}

// Command is j as a command: the common flags, j's own, and a run that
// builds the Environment, declares the job and executes it. Log lines go to
// stderr.
func (j Job) Command(stderr io.Writer) *cobra.Command {
	var common Flags
	common.Version = j.Version
	short := j.Short
	if short == "" {
		short = "Run the job " + j.Name
	}
	args := j.Args
	if args == nil {
		args = cobra.ArbitraryArgs
	}
	cmd := &cobra.Command{
		Use:   j.Name,
		Short: short,
		Long:  j.Long,
		Args: func(cmd *cobra.Command, a []string) error {
			return Usage(args(cmd, a))
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			role := cmd.Context().Value(roleKey{})
			if r, ok := role.(*planRole); ok { // a task manager builds the graph
				return r.plan(j, args)
			}
			env, logger, err := common.Environment(stderr)
			if err != nil {
				return err
			}
			if err := j.Build(env, args); err != nil {
				return Usage(err)
			}
			if _, ok := role.(jobManagerRole); ok {
				stop, tms, err := startJobManager(cmd, j, args, env, logger)
				if err != nil {
					return err
				}
				common.taskManagers = tms
				err = common.Execute(cmd.Context(), env, j.Name, logger)
				stop(err)
				return err
			}
			return common.Execute(cmd.Context(), env, j.Name, logger)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	if j.Flags != nil {
		j.Flags(cmd.Flags())
	}
	common.Register(cmd)
	return cmd
}

// Run executes cmd with args under a context that the first SIGINT or
// SIGTERM cancels, prints its error as one line "NAME: ..." (NAME is cmd's
// name) on stderr and returns the exit code (ExitCode).
func Run(cmd *cobra.Command, args []string, stderr io.Writer) int {
	ctx, interrupted, stop := signalContext()
	defer stop()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %s\n", cmd.Name(), OneLine(err))
	if interrupted() {
		// Ctrl-C: the job was cancelled and stopped cleanly (its last
		// line says so). SIGTERM, a supervisor's stop, keeps exit 1: a
		// restart may resume it.
		return ExitInterrupted
	}
	return ExitCode(err)
}

// ExitCode is the exit code of a command that ended with err, other than
// by Ctrl-C.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	// Every built-in job's refused options wrap jobs.ErrBadOption.
	var ue UsageError
	if errors.As(err, &ue) || errors.Is(err, config.ErrInvalidValue) || errors.Is(err, config.ErrUnknownOption) || errors.Is(err, jobs.ErrBadOption) {
		return ExitUsage
	}
	// An input file that changed under its checkpoint, or a line of one
	// over source.max-record-size: the same input fails the same way.
	// A task manager that cannot see the checkpoint directory: the same
	// cluster fails the same way until its storage is set up.
	if errors.Is(err, cluster.ErrCheckpointDirNotShared) {
		return ExitUsage
	}
	if errors.Is(err, file.ErrInputChanged) || (errors.Is(err, connector.ErrRecordTooLarge) && errors.Is(err, failover.ErrNoRestart)) {
		return ExitUsage
	}
	if errors.Is(err, weir.ErrOutputMayRepeat) {
		// The job ran to its end, but restored an older checkpoint with a
		// sink that cannot take back what newer ones committed.
		return ExitOutputMayRepeat
	}
	return ExitFailed
}

// signalContext returns a context cancelled by the first SIGINT or SIGTERM
// (later ones are caught and ignored until stop), and whether a SIGINT
// cancelled it. The context carries no cause: the runtime's errors stay
// context.Canceled.
func signalContext() (ctx context.Context, interrupted func() bool, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var byInterrupt atomic.Bool
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case s := <-sigs:
			byInterrupt.Store(s == os.Interrupt)
			cancel()
		case <-done:
		}
	}()
	return ctx, byInterrupt.Load, func() {
		signal.Stop(sigs)
		close(done)
		<-exited
		cancel()
	}
}

// OneLine joins a multi-line error (errors.Join) into one line.
func OneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// Flags are the flags every `weir run JOB` takes, and a user's job too.
type Flags struct {
	FromCheckpoint   string
	AllowNonRestored bool
	Parallelism      int
	Defines          []string
	ConfigFile       string
	LogLevel         string
	Web              string // --web HOST:PORT; "" for rest.bind-address:rest.port
	NoWeb            bool
	LogFormat        string
	// Version is what the REST API reports; "" for Version().
	Version string
	changed func(flag string) bool // the command's flag set's Changed: -p 0 is not no -p
	// taskManagers lists a cluster's task managers for the REST API; nil
	// for the embedded local run.
	taskManagers func() []cluster.TaskManagerInfo
}

// Register adds the flags to cmd.
func (f *Flags) Register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.Parallelism, "parallelism", "p", 0, "parallelism of every operator (parallelism.default), a positive number")
	f.RegisterConfig(cmd)
	cmd.Flags().StringVarP(&f.FromCheckpoint, "from-checkpoint", "s", "", "start from a retained checkpoint: a chk-<n> directory, its _metadata, a job directory, latest (the job's newest; refused when it has none or finished), or latest-or-fresh (latest, or a fresh start when the job has no checkpoint yet)")
	cmd.Flags().BoolVar(&f.AllowNonRestored, "allow-non-restored-state", false, "start even if the checkpoint holds state of operators the job no longer has (that state is dropped)")
	cmd.Flags().StringVar(&f.Web, "web", "", "serve the REST API, /metrics and the dashboard on HOST:PORT (port 0: any free port) instead of rest.bind-address:rest.port")
	cmd.Flags().BoolVar(&f.NoWeb, "no-web", false, "serve no REST API, metrics or dashboard")
}

// RegisterConfig adds the flags of configuration and logging alone (-D,
// --config, --log-level, --log-format), for commands that run no job of
// their own (the history server, a task manager); Config and Logger read
// them.
func (f *Flags) RegisterConfig(cmd *cobra.Command) {
	f.changed = cmd.Flags().Changed
	cmd.Flags().StringArrayVarP(&f.Defines, "define", "D", nil, "set an option, key=value, with Flink's option names (repeatable)")
	cmd.Flags().StringVar(&f.ConfigFile, "config", "", "YAML file of options (Flink's config.yaml layout)")
	cmd.Flags().StringVar(&f.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&f.LogFormat, "log-format", "text", "log format: text (key=value) or json (one JSON object a line)")
}

// Config builds the configuration: file first, then -D, then flags.
func (f *Flags) Config() (*config.Config, error) {
	if err := f.checkWeb(); err != nil {
		return nil, err
	}
	cfg := config.New()
	if f.ConfigFile != "" {
		if err := cfg.LoadYAML(f.ConfigFile); err != nil {
			return nil, Usage(err)
		}
	}
	if err := cfg.SetPairs(f.Defines); err != nil {
		return nil, Usage(err)
	}
	if f.changed != nil && f.changed("parallelism") && f.Parallelism < 1 {
		// Flink's CLI: "The parallelism must be a positive number".
		return nil, Usage(fmt.Errorf("--parallelism %d: the parallelism must be a positive number", f.Parallelism))
	}
	if f.Parallelism != 0 {
		if err := cfg.Set(config.DefaultParallelism.Key(), fmt.Sprint(f.Parallelism)); err != nil {
			return nil, Usage(fmt.Errorf("--parallelism: %w", err))
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, Usage(err)
	}
	return cfg, nil
}

// Logger is the logger --log-level and --log-format ask for, writing to
// stderr.
func (f *Flags) Logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.LogLevel)); err != nil {
		return nil, Usage(fmt.Errorf("--log-level %q: want debug, info, warn or error", f.LogLevel))
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch f.LogFormat {
	case "text", "":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, Usage(fmt.Errorf("--log-format %q: want text or json", f.LogFormat))
}

// Environment makes the job's environment from the flags' configuration,
// with their logger.
func (f *Flags) Environment(stderr io.Writer) (*weir.Environment, *slog.Logger, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	logger, err := f.Logger(stderr)
	if err != nil {
		return nil, nil, err
	}
	env := weir.NewEnvironment(cfg)
	env.SetLogger(logger)
	return env, logger, nil
}

// Execute runs a declared job, serving the REST API and dashboard while it
// runs, and words its end. name is the job's name; pipeline.name, when set,
// replaces it (it names the job's checkpoint directory too).
func (f *Flags) Execute(ctx context.Context, env *weir.Environment, name string, logger *slog.Logger) error {
	if _, _, err := env.Plan(); err != nil {
		return Usage(err)
	}
	if n, ok := config.Lookup(env.Config(), config.PipelineName); ok && strings.TrimSpace(n) != "" {
		name = n
	}
	if f.FromCheckpoint != "" {
		env.RestoreFrom(f.FromCheckpoint, f.AllowNonRestored)
	}
	archive, err := archiveDir(env.Config())
	if err != nil {
		return Usage(err)
	}
	stopWeb, err := f.startWeb(env, logger)
	if err != nil {
		return Usage(err)
	}
	err = env.Execute(ctx, name)
	f.archive(env, archive, logger)
	stopWeb()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, weir.ErrRestore):
		return Usage(err)
	case errors.Is(err, weir.ErrOutputMayRepeat):
		return err // "job X finished, but output may repeat: ..."
	case errors.Is(err, context.Canceled) && (ctx.Err() != nil || env.Job().State() == weir.StateCanceled):
		return fmt.Errorf("job %s cancelled", name)
	}
	return fmt.Errorf("job %s failed: %w", name, err)
}

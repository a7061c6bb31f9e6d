package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
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

// exitInterrupted is the exit code after Ctrl-C (SIGINT) stopped a command:
// 128 + SIGINT, as shells report it and Flink's CLI exits.
const exitInterrupted = 130

func run(args []string, stdout, stderr io.Writer) int {
	ctx, interrupted, stop := signalContext()
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "weir: %s\n", oneLine(err))
	if interrupted() {
		// Ctrl-C: the job was cancelled and stopped cleanly (its last
		// line says so). SIGTERM, a supervisor's stop, keeps exit 1: a
		// restart may resume it.
		return exitInterrupted
	}
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
	go func() {
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
		cancel()
	}
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
			return usageError{unknownCommand(cmd, args[0])}
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
				return usageError{err}
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
// (runtime/debug.ReadBuildInfo): "v1.2.3" for a go install'ed release,
// "v0.0.0-20260101120000-abcdef123456+dirty (commit abcdef123456..., modified)"
// for a build in a checkout.
func versionString() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return formatVersion(bi)
}

// formatVersion words the version of bi: the main module's version ("dev"
// when the toolchain recorded none) and, when recorded, the commit, whether
// the tree was modified, and the Go version.
func formatVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	var details []string
	if rev != "" {
		c := "commit " + rev
		if modified == "true" {
			c += ", modified"
		}
		details = append(details, c)
	}
	if bi.GoVersion != "" {
		details = append(details, bi.GoVersion)
	}
	if len(details) > 0 {
		v += " (" + strings.Join(details, ", ") + ")"
	}
	return v
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
	logFormat        string
	changed          func(flag string) bool // the command's flag set's Changed: -p 0 is not no -p
}

func (f *commonFlags) register(cmd *cobra.Command) {
	f.changed = cmd.Flags().Changed
	cmd.Flags().IntVarP(&f.parallelism, "parallelism", "p", 0, "parallelism of every operator (parallelism.default), a positive number")
	cmd.Flags().StringArrayVarP(&f.defines, "define", "D", nil, "set an option, key=value, with Flink's option names (repeatable)")
	cmd.Flags().StringVar(&f.configFile, "config", "", "YAML file of options (Flink's config.yaml layout)")
	cmd.Flags().StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "text", "log format: text (key=value) or json (one JSON object a line)")
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
	if f.changed != nil && f.changed("parallelism") && f.parallelism < 1 {
		// Flink's CLI: "The parallelism must be a positive number".
		return nil, usageError{fmt.Errorf("--parallelism %d: the parallelism must be a positive number", f.parallelism)}
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
	opts := &slog.HandlerOptions{Level: lvl}
	switch f.logFormat {
	case "text", "":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", f.logFormat)}
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

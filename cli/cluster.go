package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
)

// The cluster roles (application mode): every process runs the same
// binary. The job manager runs a job's command as `weir run` does, but
// deploys its attempts on the task managers that registered with it; a
// task manager builds the same job's graph from the job's name and
// arguments, which the job manager sends it, and runs the subtasks it is
// given.

// roleKey carries the role a job command runs in through its context.
type roleKey struct{}

// jobManagerRole: the job command runs as a cluster's job manager.
type jobManagerRole struct{}

// planRole: the job command only builds the job's graph, with cfg, for a
// task manager.
type planRole struct {
	cfg  *config.Config
	g    *graph.Graph
	p    *graph.Plan
	done bool
}

// JobManagerCommand is `jobmanager JOB [flags]`: each of jobs, run as the
// job manager of a cluster. The job starts once the task managers that
// registered offer enough slots.
func JobManagerCommand(stderr io.Writer, jobs ...Job) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobmanager JOB",
		Short: "Run a job as the job manager of a cluster; task managers (weir taskmanager) run its subtasks",
		Long: "Run a job as the job manager of a cluster. It listens for task managers on jobmanager.rpc.address:" +
			"jobmanager.rpc.port (default 127.0.0.1:6123), serves the REST API and dashboard as weir run does, and " +
			"starts the job once the registered task managers offer a slot per subtask of its widest vertex " +
			"(slot.request.timeout). Checkpoint storage (execution.checkpointing.dir) must be reachable by every " +
			"process under the same name.",
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			cmd.SetContext(context.WithValue(cmd.Context(), roleKey{}, jobManagerRole{}))
		},
	}
	for _, j := range jobs {
		cmd.AddCommand(j.Command(stderr))
	}
	return cmd
}

// startJobManager makes env run on a cluster: it starts the control
// endpoint and returns what stops it once the job has ended.
func startJobManager(cmd *cobra.Command, j Job, args []string, env *weir.Environment, logger *slog.Logger) (stop func(error), list func() []cluster.TaskManagerInfo, err error) {
	cfg := env.Config()
	listen := net.JoinHostPort(config.Get(cfg, config.JobManagerRPCAddress), strconv.Itoa(config.Get(cfg, config.JobManagerRPCPort)))
	jobCfg := cfg.Map()
	// A local checkpoint directory is named absolutely, so that task
	// managers started elsewhere on this machine find the same one.
	if dir := config.Get(cfg, config.CheckpointsDirectory); !strings.Contains(dir, "://") {
		if abs, err := filepath.Abs(dir); err == nil {
			jobCfg[config.CheckpointsDirectory.Key()] = abs
			if err := cfg.Set(config.CheckpointsDirectory.Key(), abs); err != nil {
				return nil, nil, Usage(err)
			}
		}
	}
	tlsConf, err := cluster.InternalTLS(cfg)
	if err != nil {
		return nil, nil, Usage(err)
	}
	srv, err := cluster.ListenJobManager(cluster.JobManagerConfig{
		Listen: listen, Job: j.Name, Args: jobArgs(cmd, args), TLS: tlsConf,
		HeartbeatInterval: config.Get(cfg, config.HeartbeatInterval), HeartbeatTimeout: config.Get(cfg, config.HeartbeatTimeout),
		SlotTimeout: config.Get(cfg, config.SlotRequestTimeout), Logger: logger,
	}, jobCfg)
	if err != nil {
		return nil, nil, Usage(fmt.Errorf("%w (jobmanager.rpc.address, jobmanager.rpc.port)", err))
	}
	env.SetTaskManagers(srv)
	return func(err error) {
		reason := "the job finished"
		if err != nil {
			reason = "the job ended: " + OneLine(err)
		}
		srv.Close(reason)
	}, srv.TaskManagers, nil
}

// jobArgs are the arguments a task manager builds the job with: its
// positional arguments and its own flags, not the common ones (the job
// manager sends the whole configuration).
func jobArgs(cmd *cobra.Command, args []string) []string {
	common := &cobra.Command{}
	new(Flags).Register(common)
	var out []string
	cmd.Flags().Visit(func(f *pflag.Flag) { // the flags set, in name order
		if common.Flags().Lookup(f.Name) != nil {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return append(append(out, "--"), args...)
}

// Plan builds j's graph from args (its own flags and positional
// arguments) with cfg as its configuration, as a task manager does: the
// same Build as the job manager's, without running anything.
func (j Job) Plan(args []string, cfg *config.Config) (*graph.Graph, *graph.Plan, error) {
	role := &planRole{cfg: cfg}
	cmd := j.Command(io.Discard)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(context.WithValue(context.Background(), roleKey{}, role)); err != nil {
		return nil, nil, err
	}
	if !role.done {
		return nil, nil, fmt.Errorf("job %s declared nothing", j.Name)
	}
	return role.g, role.p, nil
}

// plan is the job command's run in the plan role.
func (r *planRole) plan(j Job, args []string) error {
	env := weir.NewEnvironment(r.cfg)
	if err := j.Build(env, args); err != nil {
		return Usage(err)
	}
	g, p, err := env.Plan()
	if err != nil {
		return Usage(err)
	}
	r.g, r.p, r.done = g, p, true
	return nil
}

// TaskManagerCommand is `taskmanager`: a task manager of a cluster whose
// job manager runs one of jobs.
func TaskManagerCommand(stderr io.Writer, jobs ...Job) *cobra.Command {
	var (
		jm string
		f  Flags
	)
	cmd := &cobra.Command{
		Use:   "taskmanager",
		Short: "Run a task manager of a cluster: it registers with the job manager and runs the subtasks it is given",
		Long: "Run a task manager of a cluster. It offers taskmanager.numberOfTaskSlots slots (default 1) to the job " +
			"manager at --jobmanager, listens for data on taskmanager.host:taskmanager.data.port (default 127.0.0.1, " +
			"any free port), builds the job the job manager names from the same binary, runs the subtasks placed " +
			"on it, and exits when the job manager shuts the cluster down (exit 0) or is lost (exit 1).",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			logger, err := f.Logger(stderr)
			if err != nil {
				return err
			}
			for _, w := range config.UnusedInCluster(cfg) {
				logger.Warn(w)
			}
			if jm == "" {
				jm = net.JoinHostPort(config.Get(cfg, config.JobManagerRPCAddress), strconv.Itoa(config.Get(cfg, config.JobManagerRPCPort)))
			}
			byName := map[string]Job{}
			for _, j := range jobs {
				byName[j.Name] = j
			}
			tlsConf, err := cluster.InternalTLS(cfg)
			if err != nil {
				return Usage(err)
			}
			err = cluster.RunTaskManager(cmd.Context(), cluster.TaskManagerConfig{
				JobManager:          jm,
				TLS:                 tlsConf,
				RegistrationTimeout: config.Get(cfg, config.TaskManagerRegistrationTimeout),
				Data:                net.JoinHostPort(config.Get(cfg, config.TaskManagerHost), strconv.Itoa(config.Get(cfg, config.TaskManagerDataPort))),
				Slots:               config.Get(cfg, config.TaskManagerSlots),
				Config:              cfg,
				Logger:              logger,
				Build: func(name string, args []string, jobCfg *config.Config) (*graph.Graph, *graph.Plan, error) {
					j, ok := byName[name]
					if !ok {
						return nil, nil, fmt.Errorf("this binary has no job %q: the job manager and its task managers must run the same binary", name)
					}
					return j.Plan(args, jobCfg)
				},
			})
			if err != nil && cmd.Context().Err() != nil {
				return fmt.Errorf("task manager stopped: %w", err)
			}
			return err
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	cmd.Flags().StringVar(&jm, "jobmanager", "", "the job manager's address, HOST:PORT (default jobmanager.rpc.address:jobmanager.rpc.port)")
	f.RegisterConfig(cmd)
	return cmd
}

package weir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// Environment collects a job's operators and runs them.
type Environment struct {
	cfg    *config.Config
	graph  graph.Graph
	logger *slog.Logger
	errs   []error // declaration errors, reported by Execute

	restorePath      string
	allowNonRestored bool
	info             *cluster.JobInfo
	taskManagers     cluster.TaskManager // nil: the embedded local run
	// clock, when set, is the jobs' processing time instead of the system
	// clock. Only tests set it (SetProcessingClock in export_test.go).
	clock operator.Clock
}

// NewEnvironment returns an environment with the given configuration (nil
// for the defaults).
func NewEnvironment(cfg *config.Config) *Environment {
	if cfg == nil {
		cfg = config.New()
	}
	return &Environment{cfg: cfg, logger: slog.Default(), info: cluster.NewJobInfo()}
}

// Job is the live view of the job this environment executes (its ID,
// state, vertices with their figures, checkpoint statistics, exceptions),
// for the REST API and dashboard; it also cancels the job.
func (e *Environment) Job() *JobInfo { return e.info }

// Config is the environment's configuration.
func (e *Environment) Config() *config.Config { return e.cfg }

// SetLogger sets the logger for the job's runtime (slog.Default otherwise).
func (e *Environment) SetLogger(l *slog.Logger) { e.logger = l }

// Plan resolves and chains the declared graph, without running it.
func (e *Environment) Plan() (*graph.Graph, *graph.Plan, error) {
	if err := errors.Join(e.errs...); err != nil {
		return nil, nil, err
	}
	if err := e.cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := config.CheckUnsupported(e.cfg); err != nil {
		return nil, nil, err
	}
	if len(e.graph.Nodes) == 0 {
		return nil, nil, fmt.Errorf("%w: the job declares no operators", graph.ErrInvalid)
	}
	maxP := config.Get(e.cfg, config.MaxParallelism)
	if err := e.graph.Resolve(config.Get(e.cfg, config.DefaultParallelism), maxP); err != nil {
		return nil, nil, err
	}
	for _, n := range e.graph.Nodes {
		if n.Kind != graph.KindSink && len(e.graph.Consumers(n.ID)) == 0 {
			return nil, nil, fmt.Errorf("%w: the output of %q goes nowhere; add a sink", graph.ErrInvalid, n.Name)
		}
	}
	return &e.graph, e.graph.Build(), nil
}

// Execute runs the job until its bounded sources end, it fails for good
// (the restart strategy gave up), or ctx is cancelled. With
// execution.checkpointing.interval set it takes checkpoints, and each
// restart resumes from the latest completed one. It hands the planned job
// to the job manager of the embedded local run (package cluster).
func (e *Environment) Execute(ctx context.Context, name string) error {
	g, p, err := e.Plan()
	if err != nil {
		return err
	}
	return cluster.Run(ctx, e.job(name, g, p))
}

// RestoreFrom makes Execute start from a retained checkpoint: a chk-<n>
// directory, its _metadata file, a job directory (its newest intact
// checkpoint), or "latest" (the newest intact checkpoint of this job under
// execution.checkpointing.dir). State of an operator the job no longer has
// is refused unless allowNonRestored (Flink's --allowNonRestoredState).
func (e *Environment) RestoreFrom(path string, allowNonRestored bool) {
	e.restorePath, e.allowNonRestored = path, allowNonRestored
}

func (e *Environment) job(name string, g *graph.Graph, p *graph.Plan) cluster.Job {
	return cluster.Job{Name: name, Graph: g, Plan: p, Config: e.cfg, Logger: e.logger, Info: e.info,
		RestorePath: e.restorePath, AllowNonRestored: e.allowNonRestored, Clock: e.clock, TaskManagers: e.taskManagers}
}

// SetTaskManagers makes Execute run the job's attempts on a cluster's task
// managers (a cluster.JobManagerServer they registered with) instead of in
// this process: this environment's process is then the cluster's job
// manager. Package cli does this for the job manager role.
func (e *Environment) SetTaskManagers(tms cluster.TaskManager) { e.taskManagers = tms }

// DataStream is a stream of records of type T declared in an environment.
// Its methods set properties of the operator that produces it, Flink style:
// weir.Map(s, f).Name("parse").UID("parse-v1").SetParallelism(4).
type DataStream[T any] struct {
	env   *Environment
	node  *graph.Node
	codec codec.Codec[T]
	// part is how the next operator reads this stream.
	part graph.Partitioning
}

// Name sets the operator's name, shown in logs, errors and the dashboard.
func (s DataStream[T]) Name(name string) DataStream[T] { s.node.Name = name; return s }

// UID sets the operator's stable ID, which ties its state in a checkpoint to
// the operator across program changes.
func (s DataStream[T]) UID(uid string) DataStream[T] { s.node.UID = uid; return s }

// SetParallelism sets how many subtasks run the operator.
func (s DataStream[T]) SetParallelism(p int) DataStream[T] { s.node.Parallelism = p; return s }

// DisableChaining runs the operator in a task of its own.
func (s DataStream[T]) DisableChaining() DataStream[T] { s.node.NoChain = true; return s }

// Rebalance makes the next operator read this stream round-robin.
func (s DataStream[T]) Rebalance() DataStream[T] { s.part = graph.Rebalance; return s }

// Broadcast makes every subtask of the next operator read every record.
func (s DataStream[T]) Broadcast() DataStream[T] { s.part = graph.Broadcast; return s }

// Env is the stream's environment.
func (s DataStream[T]) Env() *Environment { return s.env }

func (s DataStream[T]) edge() graph.Edge { return graph.Edge{From: s.node.ID, Partitioning: s.part} }

// codecFor returns T's codec, recording an error against the operator if T
// has none.
func codecFor[T any](e *Environment, op string) codec.Codec[T] {
	c, err := codec.For[T]()
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("operator %q: %w", op, err))
	}
	return c
}

func newStream[T any](e *Environment, n *graph.Node, c codec.Codec[T]) DataStream[T] {
	return DataStream[T]{env: e, node: e.graph.Add(n), codec: c}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/web"
	"github.com/weirstream/weir/web/api"
)

// withDiagnose adds `weir checkpoint diagnose` to the checkpoint command.
func withDiagnose(c *cobra.Command) *cobra.Command {
	c.AddCommand(newDiagnoseCmd())
	return c
}

type diagnoseFlags struct {
	web       string
	job       string
	defines   []string
	slowShare float64
}

func newDiagnoseCmd() *cobra.Command {
	var f diagnoseFlags
	c := &cobra.Command{
		Use:   "diagnose PATH | --web http://HOST:PORT [--job ID]",
		Short: "Explain slow, expired and failed checkpoints in plain words",
		Long: "Explain in plain words why checkpoints were slow, expired or failed: which subtasks acknowledged late " +
			"or never, where their time went (start delay, alignment, synchronous or asynchronous part), which vertex " +
			"causes the backpressure, whether one subtask gets most of the records, and what would help.\n\n" +
			"With --web, ask the REST API of a running job (Weir's, or any with Flink's /jobs/:jobid/checkpoints " +
			"shapes); --job picks the job when there are several. Weir's API explains its checkpoints itself, with " +
			"the job's figures of their time; with -D or --slow-share, or from an API that does not (Flink's), the " +
			"checkpoints and the job's current backpressure are read and explained here. With PATH, read the statistics that completed " +
			"checkpoints retain in their _metadata: PATH is a chk-<n> directory, its _metadata, a job directory, or " +
			"the root of checkpoint storage, as `weir checkpoint list` and inspect take it. A retained checkpoint " +
			"completed, so it can only have been slow: give the job's interval with -D " +
			"execution.checkpointing.interval=DURATION. The metadata keeps no vertex names: vertices are numbered " +
			"from the sources, \"vertex 1 (2/2)\" is the second subtask of the second operator chain. A completed checkpoint is slow when it took longer than " +
			"--slow-share times the interval (default 0.5).\n\n" +
			"Prints one block per checkpoint explained: the summary, then indented cause and advice lines; or " +
			"\"no slow or failed checkpoints\".",
		RunE: func(cmd *cobra.Command, args []string) error {
			th, err := f.thresholds(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.web != "" {
				if len(args) != 0 {
					return cli.Usage(fmt.Errorf("%s takes PATH or --web, not both", cmd.CommandPath()))
				}
				return diagnoseWeb(cmd.Context(), out, f.web, f.job, th)
			}
			if len(args) != 1 {
				return cli.Usage(fmt.Errorf("%s takes one argument, PATH, or --web URL (got %d arguments)", cmd.CommandPath(), len(args)))
			}
			if f.job != "" {
				return cli.Usage(errors.New("--job goes with --web"))
			}
			return diagnoseRetained(cmd.Context(), out, cmd.ErrOrStderr(), args[0], th)
		},
	}
	c.Flags().StringVar(&f.web, "web", "", "the REST API of a running job, http://HOST:PORT")
	c.Flags().StringVar(&f.job, "job", "", "with --web: the job's ID (32 hexadecimal digits)")
	c.Flags().StringArrayVarP(&f.defines, "define", "D", nil, "execution.checkpointing.interval or .timeout as key=value (repeatable)")
	c.Flags().Float64Var(&f.slowShare, "slow-share", 0, "a completed checkpoint is slow above this share of the interval (default 0.5)")
	return c
}

// thresholds are what the diagnosis judges checkpoints against; set is
// false when they are the defaults, so that a job's own may be used.
type thresholds struct {
	interval, timeout       time.Duration
	intervalSet, timeoutSet bool
	share                   float64
	set                     bool
}

func (f *diagnoseFlags) thresholds(cmd *cobra.Command) (thresholds, error) {
	cfg := config.New()
	if err := cfg.SetPairs(f.defines); err != nil {
		return thresholds{}, cli.Usage(err)
	}
	var th thresholds
	th.interval, th.intervalSet = config.Lookup(cfg, config.CheckpointingInterval)
	th.timeout, th.timeoutSet = config.Lookup(cfg, config.CheckpointingTimeout)
	if cmd.Flags().Changed("slow-share") {
		if !(f.slowShare > 0) || math.IsInf(f.slowShare, 0) {
			return thresholds{}, cli.Usage(fmt.Errorf("--slow-share %v: want a number above 0", f.slowShare))
		}
		th.share = f.slowShare
	}
	th.set = th.intervalSet || th.timeoutSet || th.share > 0
	return th, nil
}

// printFindings writes one block per finding, or the all-clear.
func printFindings(w io.Writer, fs []diagnosis.Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "no slow or failed checkpoints")
		return
	}
	for i, f := range fs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, f.Summary)
		for _, c := range f.Causes {
			fmt.Fprintf(w, "  cause:  %s\n", c)
		}
		for _, a := range f.Advice {
			fmt.Fprintf(w, "  advice: %s\n", a)
		}
	}
}

// ---- retained checkpoints ----

type retainedJob struct {
	name, where string
	cps         []*checkpoint.CompletedCheckpoint // newest first
}

func diagnoseRetained(ctx context.Context, stdout, stderr io.Writer, loc string, th thresholds) error {
	jobs, err := retainedCheckpoints(ctx, stderr, loc)
	if err != nil {
		return err
	}
	for i, j := range jobs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "job %s (%s)\n", j.name, j.where)
		if len(j.cps) == 0 {
			fmt.Fprintln(stdout, "no complete checkpoints to diagnose")
			continue
		}
		var fs []diagnosis.Finding
		for _, cp := range j.cps {
			interval := th.interval
			if !th.intervalSet {
				// Checkpoints record their job's interval; older ones may not.
				d, err := time.ParseDuration(cp.Properties[checkpoint.PropInterval])
				if err != nil || d <= 0 {
					return cli.Usage(fmt.Errorf("checkpoint %d does not record its interval: give the job's with -D execution.checkpointing.interval=DURATION "+
						"(a retained checkpoint completed, so it can only have been slow, and slow means slower than a share of the interval)", cp.ID))
				}
				interval = d
			}
			in := diagnosis.Input{Checkpoint: retainedStats(cp), Interval: interval, SlowShare: th.share}
			if th.timeoutSet {
				in.Timeout = th.timeout
			}
			if f, ok := diagnosis.Explain(in); ok {
				fs = append(fs, f)
			}
		}
		printFindings(stdout, fs)
	}
	return nil
}

// retainedCheckpoints finds the complete checkpoints loc names: one for a
// chk-<n> directory or its _metadata, else those of every job directory
// `weir checkpoint list` would list.
func retainedCheckpoints(ctx context.Context, stderr io.Writer, loc string) ([]retainedJob, error) {
	base := loc
	if u, err := url.Parse(loc); err == nil && strings.Contains(loc, "://") {
		base = u.Path
	}
	base = path.Base(strings.TrimRight(filepath.ToSlash(base), "/"))
	if base == storage.MetadataName || isCheckpointDir(base) {
		res, err := resolveCheckpoint(ctx, loc)
		if err != nil {
			return nil, err
		}
		res.Storage.Close()
		return []retainedJob{{name: res.Job, where: storage.Redact(loc), cps: []*checkpoint.CompletedCheckpoint{res.Checkpoint}}}, nil
	}
	listings, err := findCheckpoints(ctx, loc)
	if err != nil {
		return nil, err
	}
	var out []retainedJob
	for _, l := range listings {
		j := retainedJob{name: l.job, where: l.where}
		for k := len(l.infos) - 1; k >= 0; k-- {
			in := l.infos[k]
			switch {
			case in.Status == storage.StatusComplete && in.Checkpoint != nil:
				j.cps = append(j.cps, in.Checkpoint)
			case in.Status == storage.StatusDamaged:
				fmt.Fprintf(stderr, "weir: checkpoint %d of job %s is damaged; not diagnosed\n", in.ID, l.job)
			}
		}
		out = append(out, j)
	}
	return out, nil
}

// retainedStats turns what a completed checkpoint's metadata keeps into
// statistics. The metadata has no vertex names: subtasks are named
// "vertex 1 (2/2)".
func retainedStats(cp *checkpoint.CompletedCheckpoint) checkpoint.CheckpointStats {
	cs := checkpoint.CheckpointStats{
		ID: cp.ID, Kind: cp.Kind, Status: checkpoint.StatusCompleted, TriggerTime: cp.Timestamp,
		EndToEnd: cp.Duration, StateSize: cp.StateSize, CheckpointedSize: cp.CheckpointedSize,
		ExternalPath: cp.ExternalPath, NumSubtasks: len(cp.Tasks), NumAcknowledged: len(cp.Tasks),
	}
	if !cp.Timestamp.IsZero() {
		cs.EndTime = cp.Timestamp.Add(cp.Duration)
		cs.LatestAck = cs.EndTime
	}
	parallelism := map[int]int{}
	for _, t := range cp.Tasks {
		parallelism[t.Task.Vertex]++
	}
	for _, t := range cp.Tasks {
		st := checkpoint.SubtaskStats{Task: t.Task, Acknowledged: true, AckTime: t.AckTime, Metrics: t.Metrics}
		if name := cp.Properties[fmt.Sprint(checkpoint.PropVertexPrefix, t.Task.Vertex)]; name != "" {
			st.Name = fmt.Sprintf("%s (%d/%d)", name, t.Task.Subtask+1, parallelism[t.Task.Vertex])
		}
		if !t.AckTime.IsZero() && !cp.Timestamp.IsZero() {
			st.EndToEnd = t.AckTime.Sub(cp.Timestamp)
		}
		cs.Subtasks = append(cs.Subtasks, st)
	}
	return cs
}

// ---- a running job, over the REST API ----

// restClient reads a REST API into package api's types, those the server
// writes.
type restClient struct {
	base string // scheme://host[:port][/prefix], no trailing slash
	hc   *http.Client
}

// restError is an answer other than 200.
type restError struct {
	url    string
	status int
	msg    string
}

func (e *restError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.url, e.status, e.msg)
}

func (c *restClient) get(ctx context.Context, p string, v any) error {
	u := c.base + p
	status, body, err := webCall(ctx, c.hc, http.MethodGet, u)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		msg := serverErrors(body)
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &restError{url: u, status: status, msg: msg}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON expected: %w", u, err)
	}
	return nil
}

func notFound(err error) bool {
	var re *restError
	return errors.As(err, &re) && re.status == http.StatusNotFound
}

func diagnoseWeb(ctx context.Context, w io.Writer, base, jobID string, th thresholds) error {
	base, err := restBase(base)
	if err != nil {
		return err
	}
	c := &restClient{base: base, hc: &http.Client{Timeout: 15 * time.Second}}
	var jobs api.JobList
	if err := c.get(ctx, "/jobs", &jobs); err != nil {
		return err
	}
	id, err := pickJob(jobs, jobID, c.base)
	if err != nil {
		return err
	}
	jp := "/jobs/" + url.PathEscape(id)
	var job api.JobDetails
	if err := c.get(ctx, jp, &job); err != nil {
		return err
	}
	fmt.Fprintf(w, "job %s (%s)\n", job.Name, id)

	// Weir's API explains checkpoints itself, with the job's figures of
	// their time; the thresholds on the command line are applied here.
	if !th.set {
		var d api.Diagnoses
		err := c.get(ctx, jp+"/checkpoints/diagnosis", &d)
		if err == nil {
			var fs []diagnosis.Finding
			for _, e := range d.Entries {
				fs = append(fs, diagnosis.Finding{Checkpoint: checkpoint.ID(e.ID), Summary: e.Diagnosis.Summary,
					Causes: e.Diagnosis.Causes, Advice: e.Diagnosis.Advice})
			}
			printFindings(w, fs)
			return nil
		}
		if !notFound(err) {
			return err
		}
	}

	var cfg api.CheckpointConfig
	if err := c.get(ctx, jp+"/checkpoints/config", &cfg); err != nil {
		if notFound(err) {
			return fmt.Errorf("job %s takes no checkpoints (%v)", id, err)
		}
		return err
	}
	interval, timeout := time.Duration(cfg.Interval)*time.Millisecond, time.Duration(cfg.Timeout)*time.Millisecond
	if th.intervalSet {
		interval = th.interval
	}
	if th.timeoutSet {
		timeout = th.timeout
	}
	var hist api.Checkpointing
	if err := c.get(ctx, jp+"/checkpoints", &hist); err != nil {
		return err
	}
	entries := hist.History
	if f := hist.Latest.Failed; f != nil && !slices.ContainsFunc(entries, func(e api.Checkpoint) bool { return e.ID == f.ID }) {
		entries = append(entries, *f)
	}
	slices.SortStableFunc(entries, func(a, b api.Checkpoint) int { return int(b.ID - a.ID) })

	vertices := vertexIndex(job)
	var live []graph.VertexStatus
	if strings.EqualFold(job.State, "RUNNING") {
		if live, err = liveFigures(ctx, c, jp, job, vertices); err != nil {
			return err
		}
	}
	share := th.share
	if share == 0 {
		share = 0.5
	}
	var fs []diagnosis.Finding
	for _, e := range entries {
		failed := strings.EqualFold(e.Status, "FAILED")
		slow := strings.EqualFold(e.Status, "COMPLETED") && !e.IsSavepoint && interval > 0 &&
			float64(e.EndToEndDuration)*float64(time.Millisecond) > share*float64(interval)
		if !failed && !slow {
			continue
		}
		cs, err := remoteStats(ctx, c, jp, job, e)
		if err != nil {
			return err
		}
		in := diagnosis.Input{Checkpoint: cs, Interval: interval, Timeout: timeout, Vertices: live, SlowShare: th.share}
		if f, ok := diagnosis.Explain(in); ok {
			fs = append(fs, f)
		}
	}
	printFindings(w, fs)
	return nil
}

// pickJob is the job --job names, or the only (running) one.
func pickJob(jobs api.JobList, id, base string) (string, error) {
	var all, running []string
	for _, j := range jobs.Jobs {
		if id != "" && j.ID == id {
			return id, nil
		}
		all = append(all, fmt.Sprintf("%s (%s)", j.ID, j.Status))
		if strings.EqualFold(j.Status, "RUNNING") {
			running = append(running, j.ID)
		}
	}
	switch {
	case id != "":
		return "", cli.Usage(fmt.Errorf("no job %s at %s; there are: %s", id, base, orNone(all)))
	case len(jobs.Jobs) == 1:
		return jobs.Jobs[0].ID, nil
	case len(running) == 1:
		return running[0], nil
	case len(jobs.Jobs) == 0:
		return "", fmt.Errorf("no jobs at %s", base)
	}
	return "", cli.Usage(fmt.Errorf("%d jobs at %s; pick one with --job: %s", len(jobs.Jobs), base, strings.Join(all, ", ")))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// vertexIndex maps the REST IDs of the job's vertices to their indexes
// (their order in /jobs/:jobid, upstream first).
func vertexIndex(job api.JobDetails) map[string]int {
	m := map[string]int{}
	for i, v := range job.Vertices {
		m[v.ID] = i
	}
	return m
}

// liveFigures reads the vertices' records and busy, backpressured and idle
// shares, and the edges from the plan.
func liveFigures(ctx context.Context, c *restClient, jp string, job api.JobDetails, index map[string]int) ([]graph.VertexStatus, error) {
	out := make([]graph.VertexStatus, len(job.Vertices))
	for i, v := range job.Vertices {
		vs := graph.VertexStatus{ID: i, Name: v.Name, Parallelism: v.Parallelism, Subtasks: make([]graph.SubtaskStatus, v.Parallelism)}
		for k := range vs.Subtasks {
			vs.Subtasks[k].Subtask = k
		}
		vp := jp + "/vertices/" + url.PathEscape(v.ID)
		var vd api.VertexDetails
		if err := c.get(ctx, vp, &vd); err != nil && !notFound(err) {
			return nil, err
		}
		for _, s := range vd.Subtasks {
			if s.Subtask >= 0 && s.Subtask < len(vs.Subtasks) {
				vs.Subtasks[s.Subtask].RecordsIn = s.Metrics.ReadRecords
				vs.Subtasks[s.Subtask].RecordsInPerSecond = s.Metrics.RecordsInPerSecond
			}
		}
		var bp api.Backpressure
		if err := c.get(ctx, vp+"/backpressure", &bp); err != nil && !notFound(err) {
			return nil, err
		}
		for _, s := range bp.Subtasks {
			if s.Subtask >= 0 && s.Subtask < len(vs.Subtasks) {
				st := &vs.Subtasks[s.Subtask]
				st.BackPressuredTimeMsPerSecond, st.BusyTimeMsPerSecond, st.IdleTimeMsPerSecond = 1000*s.Ratio, 1000*s.BusyRatio, 1000*s.IdleRatio
			}
		}
		out[i] = vs
	}
	for _, n := range job.Plan.Nodes {
		i, ok := index[n.ID]
		if !ok {
			continue
		}
		for _, in := range n.Inputs {
			if from, ok := index[in.ID]; ok {
				out[i].Inputs = append(out[i].Inputs, graph.VertexInputInfo{FromVertex: from, Partitioning: strings.ToUpper(in.ShipStrategy)})
			}
		}
	}
	return out, nil
}

// remoteStats reads one checkpoint's per-subtask figures.
func remoteStats(ctx context.Context, c *restClient, jp string, job api.JobDetails, e api.Checkpoint) (checkpoint.CheckpointStats, error) {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	at := func(v int64) time.Time {
		if v <= 0 {
			return time.Time{}
		}
		return time.UnixMilli(v)
	}
	cs := checkpoint.CheckpointStats{
		ID: checkpoint.ID(e.ID), Status: checkpoint.StatusCompleted, TriggerTime: at(e.TriggerTimestamp),
		LatestAck: at(e.LatestAckTimestamp), EndToEnd: ms(e.EndToEndDuration), StateSize: e.StateSize,
		CheckpointedSize: e.CheckpointedSize, NumSubtasks: e.NumSubtasks, NumAcknowledged: e.NumAcknowledgedSubtasks,
	}
	if e.IsSavepoint {
		cs.Kind = checkpoint.KindSavepoint
	}
	if strings.EqualFold(e.Status, "FAILED") {
		cs.Status = checkpoint.StatusFailed
	}
	dp := fmt.Sprintf("%s/checkpoints/details/%d", jp, e.ID)
	var d api.Checkpoint
	if err := c.get(ctx, dp, &d); err != nil {
		if notFound(err) { // gone from the history since
			cs.Failure = remoteFailure(e, vertexIndex(job))
			return cs, nil
		}
		return cs, err
	}
	for i, v := range job.Vertices {
		if _, ok := d.Tasks[v.ID]; !ok {
			continue
		}
		var sd api.TaskCheckpointDetails
		if err := c.get(ctx, dp+"/subtasks/"+url.PathEscape(v.ID), &sd); err != nil {
			if notFound(err) {
				continue
			}
			return cs, err
		}
		for _, s := range sd.Subtasks {
			st := checkpoint.SubtaskStats{
				Task: checkpoint.SubtaskKey{Vertex: i, Subtask: s.Index},
				Name: fmt.Sprintf("%s (%d/%d)", v.Name, s.Index+1, v.Parallelism),
			}
			if strings.EqualFold(s.Status, "completed") {
				st.Acknowledged, st.Late = true, s.Late
				st.AckTime, st.EndToEnd = at(s.AckTimestamp), ms(s.EndToEndDuration)
				st.Metrics = checkpoint.SubtaskMetrics{
					StartDelay: ms(s.StartDelay), Alignment: ms(s.Alignment.Duration),
					SyncDuration: ms(s.Checkpoint.Sync), AsyncDuration: ms(s.Checkpoint.Async),
					AlignmentBuffered: s.Alignment.Buffered, ProcessedData: s.Alignment.Processed,
					PersistedData: s.Alignment.Persisted, StateSize: s.StateSize, CheckpointedSize: s.CheckpointedSize,
				}
			}
			cs.Subtasks = append(cs.Subtasks, st)
		}
	}
	slices.SortStableFunc(cs.Subtasks, func(a, b checkpoint.SubtaskStats) int {
		if a.Task.Vertex != b.Task.Vertex {
			return a.Task.Vertex - b.Task.Vertex
		}
		return a.Task.Subtask - b.Task.Subtask
	})
	if cs.Status == checkpoint.StatusFailed {
		cs.Failure = remoteFailure(e, vertexIndex(job))
	}
	return cs, nil
}

// remoteFailure rebuilds a failed checkpoint's error from the codes the
// server sends (failure_reason, failure_cause), so that errors.Is and
// errors.As find in it what the diagnosis looks for, as on the server.
// index maps the job's vertex IDs to their indexes.
func remoteFailure(e api.Checkpoint, index map[string]int) error {
	id, kind := checkpoint.ID(e.ID), checkpoint.KindCheckpoint
	if e.IsSavepoint {
		kind = checkpoint.KindSavepoint
	}
	fc := e.FailureCause
	switch {
	case e.FailureReason == api.ReasonDeclined && fc != nil:
		de := &checkpoint.DeclinedError{Checkpoint: id, Kind: kind, TaskName: fc.TaskName}
		if i, ok := index[fc.Vertex]; ok && fc.Subtask != nil {
			de.Task = checkpoint.SubtaskKey{Vertex: i, Subtask: *fc.Subtask}
		}
		if fc.Message != "" {
			de.Cause = remoteError(fc.Message, fc.Reason)
		}
		return de
	case e.FailureReason == api.ReasonMetadataWriteFailed && fc != nil:
		return &checkpoint.FinalizeError{Checkpoint: id, Kind: kind, Cause: remoteError(fc.Message, fc.Reason)}
	}
	if e.FailureMessage == nil || *e.FailureMessage == "" {
		return nil
	}
	return remoteError(*e.FailureMessage, e.FailureReason)
}

// codedError is an error known by its text and the server's code for it.
type codedError struct {
	msg      string
	sentinel error
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Unwrap() error { return e.sentinel }

// remoteError is msg wrapping the checkpoint sentinel that code stands
// for; a plain error when the code names none.
func remoteError(msg, code string) error {
	if s := web.ReasonSentinel(code); s != nil {
		return &codedError{msg: msg, sentinel: s}
	}
	return errors.New(msg)
}

package checkpoint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
)

// The coordinator is tested with scripts in testdata/coordinator: each
// command is followed by "----" and the output it must print, up to a blank
// line. Run `go test ./checkpoint -run TestCoordinatorScripts -rewrite` to
// rewrite the expected outputs (then read the diff).
//
// Commands (times are offsets from a fixed start, e.g. t=1m30s):
//
//	new vertices=2,1 names=Source,Sink sources=0 interval=1m timeout=10m
//	    minpause=0s concurrent=1 tolerable=0 retained=1 mode=exactly-once
//	    restored=41 claim nextid=100 history=64
//	running t=T | stopped t=T | shutdown t=T
//	tick t=T | deadline t=T | latest | stats | counts
//	trigger t=T kind=checkpoint|savepoint
//	ack t=T id=N task=V/S,...|all|rest [size=B] [sync=D] [async=D] [align=D]
//	decline t=T id=N task=V/S cause=generic|async|not-ready|closing|end|none
//	finalize t=T id=N [err=text...]

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCoordinatorScripts(t *testing.T) {
	testutil.RunScripts(t, "testdata/coordinator/*.txt", func() func(*testing.T, string, int, string) string {
		var h *harness
		return func(t *testing.T, path string, line int, cmd string) string { return h.run(t, path, line, cmd, &h) }
	})
}

// harness holds a coordinator under test.
type harness struct {
	c         *Coordinator
	tasks     []SubtaskKey
	vertNames []string
	par       []int
}

func (h *harness) run(t *testing.T, path string, line int, cmd string, hp **harness) string {
	t.Helper()
	fields := strings.Fields(cmd)
	args := map[string]string{}
	var flags []string
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok {
			args[k] = v
		} else {
			flags = append(flags, f)
		}
	}
	// err= takes the rest of the line
	if i := strings.Index(cmd, " err="); i >= 0 {
		args["err"] = cmd[i+len(" err="):]
	}
	fail := func(format string, a ...any) string {
		t.Fatalf("%s:%d: %s: %s", path, line, cmd, fmt.Sprintf(format, a...))
		return ""
	}
	dur := func(k string) time.Duration {
		v, ok := args[k]
		if !ok {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			fail("bad duration %s=%s", k, v)
		}
		return d
	}
	num := func(k string) int64 {
		v, ok := args[k]
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail("bad number %s=%s", k, v)
		}
		return n
	}
	now := t0.Add(dur("t"))
	if fields[0] != "new" && h == nil {
		fail("no coordinator: start with new")
	}
	switch fields[0] {
	case "new":
		nh := &harness{}
		for _, p := range strings.Split(args["vertices"], ",") {
			n, _ := strconv.Atoi(p)
			nh.par = append(nh.par, n)
		}
		nh.vertNames = strings.Split(args["names"], ",")
		for v, p := range nh.par {
			for s := range p {
				nh.tasks = append(nh.tasks, SubtaskKey{v, s})
			}
		}
		var sources []SubtaskKey
		for _, p := range strings.Split(args["sources"], ",") {
			v, _ := strconv.Atoi(p)
			for s := range nh.par[v] {
				sources = append(sources, SubtaskKey{v, s})
			}
		}
		cfg := CoordinatorConfig{
			Job:           "job",
			Interval:      dur("interval"),
			Timeout:       dur("timeout"),
			MinPause:      dur("minpause"),
			MaxConcurrent: int(num("concurrent")),
			NumRetained:   int(num("retained")),
			NextID:        ID(num("nextid")),
			HistorySize:   int(num("history")),
			TaskName: func(k SubtaskKey) string {
				return fmt.Sprintf("%s (%d/%d)", nh.vertNames[k.Vertex], k.Subtask+1, nh.par[k.Vertex])
			},
		}
		if args["tolerable"] == "unlimited" {
			cfg.TolerableFailures = UnlimitedFailures
		} else {
			cfg.TolerableFailures = int(num("tolerable"))
		}
		if args["mode"] == "at-least-once" {
			cfg.Mode = AtLeastOnce
		}
		for _, f := range flags {
			if f == "claim" {
				cfg.RestoreMode = Claim
			}
		}
		var restored *CompletedCheckpoint
		if r := num("restored"); r > 0 {
			restored = &CompletedCheckpoint{ID: ID(r), Kind: KindCheckpoint, ExternalPath: fmt.Sprintf("mem://job/chk-%d", r),
				Operators: map[string]*OperatorState{"op-v0": {Parallelism: 1, Subtasks: []OperatorSubtaskState{
					{OperatorUID: "op-v0", Keyed: []KeyedStateHandle{{File: FileRef{Path: fmt.Sprintf("chk-%d/old", r), Size: 1}}}}}}}}
		}
		nh.c = NewCoordinator(cfg, nh.tasks, sources, restored, now)
		*hp = nh
		return ""
	case "running":
		h.c.TasksRunning(now)
		return ""
	case "stopped":
		return renderActions(h.c.TasksStopped(now, errors.New("task manager lost")))
	case "shutdown":
		return renderActions(h.c.Shutdown(now, nil))
	case "tick":
		return renderActions(h.c.Tick(now))
	case "deadline":
		d := h.c.NextDeadline(now)
		if d.IsZero() {
			return "none"
		}
		return "t=" + d.Sub(t0).String()
	case "latest":
		l := h.c.Latest()
		if l == nil {
			return "none"
		}
		var ids []string
		for _, r := range h.c.Retained() {
			ids = append(ids, fmt.Sprint(r.ID))
		}
		return fmt.Sprintf("latest %d %s, retained [%s]", l.ID, l.Kind, strings.Join(ids, " "))
	case "trigger":
		kind := KindCheckpoint
		if args["kind"] == "savepoint" {
			kind = KindSavepoint
		}
		acts, err := h.c.TriggerNow(now, kind)
		if err != nil {
			return "error: " + err.Error()
		}
		return renderActions(acts)
	case "ack":
		id := ID(num("id"))
		var keys []SubtaskKey
		switch args["task"] {
		case "all":
			keys = h.tasks
		case "rest":
			if p := h.c.Pending(id); p != nil {
				keys = p.NotYetAcknowledged()
			}
		default:
			for _, s := range strings.Split(args["task"], ",") {
				keys = append(keys, parseKey(s))
			}
		}
		var out []string
		for _, k := range keys {
			uid := fmt.Sprintf("op-v%d", k.Vertex)
			a := Ack{Checkpoint: id, Task: k, At: now,
				States: []OperatorSubtaskState{{OperatorUID: uid, Subtask: k.Subtask, Keyed: []KeyedStateHandle{{
					KeyGroups: KeyGroupRangeFor(128, 2, k.Subtask%2),
					File:      FileRef{Path: fmt.Sprintf("chk-%d/%s-%d", id, uid, k.Subtask), Size: max(num("size"), 100)},
				}}}},
				Metrics: SubtaskMetrics{SyncDuration: dur("sync"), AsyncDuration: dur("async"), Alignment: dur("align"),
					StartDelay: dur("delay"), ProcessedData: num("processed"), PersistedData: num("persisted")},
			}
			if r := renderActions(h.c.Receive(a, now)); r != "" {
				out = append(out, strings.TrimSuffix(r, "\n"))
			}
		}
		return strings.Join(out, "\n")
	case "decline":
		var cause error
		switch args["cause"] {
		case "generic":
			cause = errors.New("disk full")
		case "async":
			cause = fmt.Errorf("writing state: %w", ErrAsyncSnapshot)
		case "not-ready":
			cause = ErrTaskNotReady
		case "closing":
			cause = ErrTaskClosing
		case "end":
			cause = ErrEndOfInput
		case "trigger":
			cause = fmt.Errorf("trigger not delivered: %w", ErrNotAllTasksRunning)
		}
		return renderActions(h.c.Receive(&Decline{Checkpoint: ID(num("id")), Task: parseKey(args["task"]), Cause: cause, At: now}, now))
	case "finalize":
		var err error
		if e, ok := args["err"]; ok {
			err = errors.New(e)
		}
		id := ID(num("id"))
		var meta *CompletedCheckpoint
		if err == nil {
			meta = &CompletedCheckpoint{ID: id, ExternalPath: fmt.Sprintf("mem://job/chk-%d", id)}
			if p := h.c.Pending(id); p != nil && p.FullyAcknowledged() {
				meta = p.completed(&h.c.cfg, h.c.parallelism)
				meta.ExternalPath = fmt.Sprintf("mem://job/chk-%d", id)
			}
		}
		return renderActions(h.c.Finalized(id, meta, err, now))
	case "stats":
		return renderStats(h.c.Stats())
	case "counts":
		return strings.SplitN(renderStats(h.c.Stats()), "\n", 2)[0]
	}
	return fail("unknown command")
}

func parseKey(s string) SubtaskKey {
	v, sub, _ := strings.Cut(s, "/")
	vi, _ := strconv.Atoi(v)
	si, _ := strconv.Atoi(sub)
	return SubtaskKey{vi, si}
}

func rel(tm time.Time) string {
	if tm.IsZero() {
		return "-"
	}
	return tm.Sub(t0).String()
}

func renderActions(acts []Action) string {
	var b strings.Builder
	for _, a := range acts {
		switch a := a.(type) {
		case TriggerAction:
			fmt.Fprintf(&b, "trigger %d %s %s at %s to %v\n", a.Checkpoint, a.Kind, a.Mode, rel(a.Timestamp), a.Sources)
		case FinalizeAction:
			cp := a.Checkpoint
			fmt.Fprintf(&b, "finalize %d %s: %d operators, state %d B, checkpointed %d B, duration %s, props %v\n",
				cp.ID, cp.Kind, len(cp.Operators), cp.StateSize, cp.CheckpointedSize, cp.Duration, cp.Properties)
		case NotifyCompleteAction:
			fmt.Fprintf(&b, "notify-complete %d\n", a.Checkpoint)
		case AbortAction:
			fmt.Fprintf(&b, "abort %d: %v\n", a.Checkpoint, a.Reason)
		case DiscardAction:
			var files []string
			for _, s := range a.States {
				s.Files(func(f FileRef) { files = append(files, f.Path) })
			}
			what := "discard"
			if a.Completed {
				what = "discard completed"
			}
			fmt.Fprintf(&b, "%s %d %v\n", what, a.Checkpoint, files)
		case FailJobAction:
			fmt.Fprintf(&b, "fail-job: %v\n", a.Cause)
		default:
			fmt.Fprintf(&b, "unknown action %T\n", a)
		}
	}
	return b.String()
}

func renderStats(s Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "counts: triggered %d, in progress %d, completed %d, failed %d, restored %d, consecutive failures %d\n",
		s.Triggered, s.InProgress, s.Completed, s.Failed, s.Restored, s.ConsecutiveFailures)
	id := func(c *CheckpointStats) string {
		if c == nil {
			return "-"
		}
		return fmt.Sprint(c.ID)
	}
	fmt.Fprintf(&b, "latest: completed %s, savepoint %s, failed %s", id(s.LatestCompleted), id(s.LatestSavepoint), id(s.LatestFailed))
	if r := s.LatestRestore; r != nil {
		fmt.Fprintf(&b, ", restored %d from %s at %s", r.ID, r.ExternalPath, rel(r.RestoreTime))
	}
	b.WriteString("\n")
	sm := s.Summary
	fmt.Fprintf(&b, "summary: %d completed, end-to-end %s/%s/%s, state %d/%d/%d B, checkpointed %d/%d/%d B\n", sm.Count,
		sm.EndToEnd.Min, sm.EndToEnd.Avg, sm.EndToEnd.Max, sm.StateSize.Min, sm.StateSize.Avg, sm.StateSize.Max,
		sm.CheckpointedSize.Min, sm.CheckpointedSize.Avg, sm.CheckpointedSize.Max)
	for _, c := range s.History {
		fmt.Fprintf(&b, "%d %s %s: triggered %s, latest ack %s, end %s, end-to-end %s, acked %d/%d, state %d B, checkpointed %d B",
			c.ID, c.Kind, c.Status, rel(c.TriggerTime), rel(c.LatestAck), rel(c.EndTime), c.EndToEnd,
			c.NumAcknowledged, c.NumSubtasks, c.StateSize, c.CheckpointedSize)
		if c.ExternalPath != "" {
			fmt.Fprintf(&b, ", at %s", c.ExternalPath)
		}
		if c.Discarded {
			b.WriteString(", discarded")
		}
		if c.Failure != nil {
			fmt.Fprintf(&b, ", failure: %v", c.Failure)
		}
		b.WriteString("\n")
		for _, st := range c.Subtasks {
			if !st.Acknowledged {
				fmt.Fprintf(&b, "  %s: not acknowledged\n", st.Name)
				continue
			}
			late := ""
			if st.Late {
				late = " (late)"
			}
			m := st.Metrics
			fmt.Fprintf(&b, "  %s: acked %s%s, end-to-end %s, sync %s, async %s, alignment %s, state %d B\n",
				st.Name, rel(st.AckTime), late, st.EndToEnd, m.SyncDuration, m.AsyncDuration, m.Alignment, m.StateSize)
		}
		for _, v := range c.Vertices() {
			fmt.Fprintf(&b, "  vertex %d: acked %d/%d, end-to-end %s, state %d B, max sync %s, max async %s\n",
				v.Vertex, v.NumAcknowledged, v.NumSubtasks, v.EndToEnd, v.StateSize, v.MaxSync, v.MaxAsync)
		}
	}
	return b.String()
}

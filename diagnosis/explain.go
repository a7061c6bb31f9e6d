package diagnosis

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/units"

	"github.com/weirstream/weir/checkpoint"
)

// The main causes a Finding names in Cause.
const (
	// CauseBackpressure: the barrier waited behind queued data (a long start
	// delay, or subtasks that never acknowledged while vertices were
	// backpressured).
	CauseBackpressure = "backpressure"
	// CauseAlignment: a subtask waited for the barrier on its slowest input
	// channel.
	CauseAlignment = "alignment"
	// CauseSyncPart: the synchronous part of a snapshot took the time.
	CauseSyncPart = "sync"
	// CauseAsyncPart: the asynchronous part (writing the state) took the
	// time, with much state to write.
	CauseAsyncPart = "async"
	// CauseStorage: the asynchronous part took the time with little state
	// to write: the checkpoint storage is slow.
	CauseStorage = "storage"
	// CauseAckDelay: the acknowledgement reached the coordinator long after
	// the snapshot ended.
	CauseAckDelay = "ack-delay"
	// CauseNoAck: subtasks never acknowledged and the figures do not show
	// why.
	CauseNoAck = "no-ack"
	// CauseUnclear: the figures are too coarse to tell where the time went
	// (a checkpoint of a few milliseconds, in whole milliseconds).
	CauseUnclear = "unclear"
	// CauseBusyTask: a source subtask took the trigger late because it was
	// busy in its own work (a function chained to it that blocks, say to
	// load a cache), and everything downstream waited for its barrier.
	CauseBusyTask = "busy-task"
	// CauseDeclined: a subtask declined the checkpoint.
	CauseDeclined = "declined"
	// CauseMetadata: every subtask acknowledged but the metadata could not
	// be written.
	CauseMetadata = "metadata"
	// CauseFailed: any other failure.
	CauseFailed = "failed"
)

const (
	defaultSlowShare = 0.5
	// Flink's backpressure levels, in ms per second: OK up to 10%, LOW up
	// to 50%, HIGH above.
	levelLow  = 100.0
	levelHigh = 500.0
	// A subtask is hot when it gets more than skewMedian times its
	// siblings' median and more than skewMean times the vertex's mean.
	skewMedian = 2.0
	skewMean   = 1.5
	// Fewer records (or records per second) than these are too few to call
	// a skew.
	minSkewRecords = 100
	minSkewRate    = 10
	// An asynchronous part that writes less than this and is still the
	// largest part points at the storage, not at the state's size.
	smallState = 1 << 20
	// maxNames is how many subtask names a sentence lists.
	maxNames = 8
)

// view is the checkpoint and the job's figures, with lookups.
type view struct {
	in       Input
	cs       *checkpoint.CheckpointStats
	what     string // "Checkpoint 7"
	vertices map[int]*graph.VertexStatus
	par      map[int]int // subtasks per vertex in the checkpoint's statistics
	vname    map[int]string
	// rated: the vertex figures include busy, backpressured and idle
	// times (the runtime samples them every second; a job younger than
	// that has none yet).
	rated bool
}

func newView(in Input) *view {
	v := &view{in: in, cs: &in.Checkpoint, vertices: map[int]*graph.VertexStatus{}, par: map[int]int{}, vname: map[int]string{}}
	v.what = fmt.Sprintf("%s %d", capitalize(in.Checkpoint.Kind.String()), in.Checkpoint.ID)
	for i := range in.Vertices {
		vs := &in.Vertices[i]
		v.vertices[vs.ID] = vs
		if vs.Name != "" {
			v.vname[vs.ID] = vs.Name
		}
		for _, st := range vs.Subtasks {
			if st.BusyTimeMsPerSecond+st.BackPressuredTimeMsPerSecond+st.IdleTimeMsPerSecond > 0 {
				v.rated = true
			}
		}
	}
	for _, s := range in.Checkpoint.Subtasks {
		v.par[s.Task.Vertex]++
		if _, ok := v.vname[s.Task.Vertex]; !ok && s.Name != "" {
			if name, ok := stripIndex(s.Name); ok {
				v.vname[s.Task.Vertex] = name
			}
		}
	}
	return v
}

// stripIndex turns "Count (2/2)" into "Count".
func stripIndex(name string) (string, bool) {
	if !strings.HasSuffix(name, ")") {
		return "", false
	}
	i := strings.LastIndex(name, " (")
	if i <= 0 {
		return "", false
	}
	var a, b int
	if n, err := fmt.Sscanf(name[i:], " (%d/%d)", &a, &b); err != nil || n != 2 {
		return "", false
	}
	return name[:i], true
}

func (v *view) vertexName(id int) string {
	if n, ok := v.vname[id]; ok {
		return n
	}
	return fmt.Sprintf("vertex %d", id)
}

func (v *view) parallelism(id int) int {
	if vs, ok := v.vertices[id]; ok && vs.Parallelism > 0 {
		return vs.Parallelism
	}
	return v.par[id]
}

func (v *view) subtaskName(s checkpoint.SubtaskStats) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("%s (%d/%d)", v.vertexName(s.Task.Vertex), s.Task.Subtask+1, max(v.parallelism(s.Task.Vertex), s.Task.Subtask+1))
}

func (v *view) names(ss []checkpoint.SubtaskStats, withTime bool) string {
	out := make([]string, 0, min(len(ss), maxNames))
	for _, s := range ss[:min(len(ss), maxNames)] {
		n := v.subtaskName(s)
		if withTime {
			n += " after " + dur(s.EndToEnd)
		}
		out = append(out, n)
	}
	if len(ss) > maxNames {
		return fmt.Sprintf("%s and %d more", strings.Join(out, ", "), len(ss)-maxNames)
	}
	return strings.Join(out, ", ")
}

// isSource reports whether vertex id reads no network input. Without the
// job's figures only vertex 0, which is always a source, is known to be one.
func (v *view) isSource(id int) bool {
	if vs, ok := v.vertices[id]; ok {
		return len(vs.Inputs) == 0
	}
	return id == 0
}

func explain(in Input) (Finding, bool) {
	f := Finding{Checkpoint: in.Checkpoint.ID, Bottleneck: -1, HotVertex: -1, HotSubtask: -1}
	v := newView(in)
	cs := v.cs
	switch cs.Status {
	case checkpoint.StatusCompleted:
		share := in.SlowShare
		if share <= 0 {
			share = defaultSlowShare
		}
		limit := time.Duration(share * float64(in.Interval))
		// A savepoint is taken on request, not every interval.
		if cs.Kind != checkpoint.KindCheckpoint || in.Interval <= 0 || cs.EndToEnd <= limit {
			return f, false
		}
		v.delayed(&f, false, limit)
	case checkpoint.StatusFailed:
		err := cs.Failure
		var aborted *checkpoint.AbortedError
		switch {
		case errors.As(err, &aborted), errors.Is(err, checkpoint.ErrSubsumed),
			errors.Is(err, checkpoint.ErrTasksStopped), errors.Is(err, checkpoint.ErrShutdown):
			// Subsumed by a newer checkpoint, or the tasks stopped: the
			// cause, if any, is the job's failure, not the checkpoint's.
			return f, false
		case errors.Is(err, checkpoint.ErrExpired):
			v.delayed(&f, true, 0)
		case errors.Is(err, checkpoint.ErrDeclined):
			v.declined(&f, err)
		case errors.Is(err, checkpoint.ErrFinalize):
			v.finalizeFailed(&f, err)
		default:
			f.Cause = CauseFailed
			msg := "for a reason not recorded"
			if err != nil {
				msg = oneLine(err)
			}
			f.Summary = sentence(fmt.Sprintf("%s failed: %s", v.what, msg))
			f.Advice = append(f.Advice, "Look at the job's log around the time of the failure.")
		}
	default:
		return f, false
	}
	for i := range f.Causes {
		f.Causes[i] = capitalize(f.Causes[i])
	}
	for i := range f.Advice {
		f.Advice[i] = capitalize(f.Advice[i])
	}
	return f, true
}

// ---- expired and slow checkpoints ----

// part is one part of a subtask's time in a checkpoint.
type part struct {
	name string
	d    time.Duration
}

const (
	partStart = "start delay"
	partAlign = "alignment"
	partSync  = "synchronous part"
	partAsync = "asynchronous part"
	partOther = "other"
)

// parts splits s's end-to-end time; the rest is what no figure accounts
// for (the acknowledgement on its way to the coordinator).
func parts(s checkpoint.SubtaskStats) (ps []part, rest time.Duration) {
	m := s.Metrics
	ps = []part{{partStart, m.StartDelay}, {partAlign, m.Alignment}, {partSync, m.SyncDuration}, {partAsync, m.AsyncDuration}}
	var sum time.Duration
	for _, p := range ps {
		sum += p.d
	}
	return ps, max(0, s.EndToEnd-sum)
}

// dominant is the largest part of s's time.
func dominant(s checkpoint.SubtaskStats) part {
	ps, rest := parts(s)
	best := ps[0]
	for _, p := range ps[1:] {
		if p.d > best.d {
			best = p
		}
	}
	// Figures over the REST API come in whole milliseconds: their sum may
	// fall a few short of the end-to-end time.
	if rest > best.d && rest >= ackSlack {
		return part{partOther, rest}
	}
	return best
}

// ackSlack is the least unaccounted time taken for a slow acknowledgement.
const ackSlack = 10 * time.Millisecond

// bottleneck is where Flink's rule finds the backpressure's source.
type bottleneck struct {
	vertex int
	busy   float64 // ms/s, the vertex's busiest subtask
}

// pressured is a backpressured vertex.
type pressured struct {
	vertex int
	bp     float64 // ms/s, the vertex's most backpressured subtask
}

// skew is a subtask that gets far more records than its siblings.
type skew struct {
	vertex, subtask int
	value, total    float64
	median          float64
	byRate          bool
	hash            bool
}

// reason is the branch of the classification a slow or expired
// checkpoint falls into; it is finer than Cause (several reasons share
// CauseBackpressure or CauseNoAck) because each is phrased its own way.
type reason int

const (
	reasonTooSoon           reason = iota // the slowest subtask's figures are all zero
	reasonStartDelay                      // the barrier waited before the snapshot
	reasonBusySource                      // a source, busy in its own work, took the trigger late
	reasonAlignment                       // aligning on the slowest input
	reasonSync                            // the synchronous part
	reasonStorage                         // the asynchronous part, with little state
	reasonAsync                           // the asynchronous part, with much state
	reasonAckDelay                        // the acknowledgement's way back
	reasonNeverBackpressure               // never acknowledged, with a bottleneck known
	reasonNever                           // never acknowledged, nothing else known
	reasonBackpressure                    // no subtask figures, but a bottleneck
	reasonUnknown                         // nothing to go on
)

// cause is the one-word Cause of each reason.
func (r reason) cause() string {
	switch r {
	case reasonTooSoon:
		return CauseUnclear
	case reasonStartDelay, reasonNeverBackpressure, reasonBackpressure:
		return CauseBackpressure
	case reasonBusySource:
		return CauseBusyTask
	case reasonAlignment:
		return CauseAlignment
	case reasonSync:
		return CauseSyncPart
	case reasonStorage:
		return CauseStorage
	case reasonAsync:
		return CauseAsyncPart
	case reasonAckDelay:
		return CauseAckDelay
	}
	return CauseNoAck
}

// delay is what classifyDelay finds in a slow or expired checkpoint: the
// facts its sentences are made of, and no words yet.
type delay struct {
	expired bool
	limit   time.Duration // a completed checkpoint's subtask is late past it
	// late: the subtasks later than limit (completed), or that never or
	// only late acknowledged (expired); missing: never acknowledged;
	// lateAcked: acknowledged after the expiry, slowest first.
	late, missing, lateAcked []checkpoint.SubtaskStats
	// frontier: the most upstream subtasks that never acknowledged, where
	// the barrier got no further. Vertex IDs ascend downstream.
	frontier []checkpoint.SubtaskStats
	rep      *checkpoint.SubtaskStats // the slowest subtask with figures
	dom      part                     // the largest part of rep's time
	bn       *bottleneck
	bps      []pressured
	sk       *skew
	reason   reason
}

// classifyDelay is the pure first step of explaining a slow or expired
// checkpoint: which subtasks were late, which one to look at, where its
// time went, the bottleneck, the skew and the main reason.
func (v *view) classifyDelay(expired bool, limit time.Duration) *delay {
	d := &delay{expired: expired, limit: limit}
	cs := v.cs
	for i, s := range cs.Subtasks {
		switch {
		case expired && !s.Acknowledged:
			d.missing = append(d.missing, s)
			d.late = append(d.late, s)
		case expired && s.Late:
			d.lateAcked = append(d.lateAcked, s)
			d.late = append(d.late, s)
		case !expired && s.Acknowledged && s.EndToEnd > limit:
			d.late = append(d.late, s)
		}
		if s.Acknowledged && (!expired || s.Late) && (d.rep == nil || s.EndToEnd > d.rep.EndToEnd) {
			d.rep = &cs.Subtasks[i]
		}
	}
	byTime(d.lateAcked)
	for _, s := range d.missing {
		if len(d.frontier) > 0 && s.Task.Vertex != d.frontier[0].Task.Vertex {
			break
		}
		d.frontier = append(d.frontier, s)
	}
	d.bn, d.bps = v.bottleneck()
	focus := -1 // the vertex whose skew matters most
	switch {
	case d.bn != nil:
		focus = d.bn.vertex
	case len(d.frontier) > 0:
		focus = d.frontier[0].Task.Vertex
	case d.rep != nil:
		focus = d.rep.Task.Vertex
	}
	d.sk = v.skew(focus)
	if d.rep != nil {
		d.dom = dominant(*d.rep)
	}
	if d.rep != nil && d.dom.name == partStart && !v.isSource(d.rep.Task.Vertex) {
		// Downstream waited for a barrier that a source emitted late: the
		// source is where the time went (a user function chained to it,
		// busy for seconds, say), not the waiting subtask.
		for i, s := range cs.Subtasks {
			if !v.isSource(s.Task.Vertex) || !s.Acknowledged || s.Metrics.StartDelay < d.dom.d/2 || dominant(s).name != partStart {
				continue
			}
			if src := d.rep; v.isSource(src.Task.Vertex) && src.Metrics.StartDelay >= s.Metrics.StartDelay {
				continue
			}
			d.rep = &cs.Subtasks[i]
		}
		d.dom = dominant(*d.rep)
	}
	switch {
	case d.rep != nil && d.dom.d <= 0:
		d.reason = reasonTooSoon
	case d.rep != nil && d.dom.name == partStart && v.isSource(d.rep.Task.Vertex) && len(d.bps) == 0:
		d.reason = reasonBusySource
	case d.rep != nil && d.dom.name == partStart:
		d.reason = reasonStartDelay
	case d.rep != nil && d.dom.name == partAlign:
		d.reason = reasonAlignment
	case d.rep != nil && d.dom.name == partSync:
		d.reason = reasonSync
	case d.rep != nil && d.dom.name == partAsync && d.rep.Metrics.StateSize < smallState:
		d.reason = reasonStorage
	case d.rep != nil && d.dom.name == partAsync:
		d.reason = reasonAsync
	case d.rep != nil && d.dom.name == partOther:
		d.reason = reasonAckDelay
	case len(d.frontier) > 0 && d.bn != nil:
		d.reason = reasonNeverBackpressure
	case len(d.frontier) > 0:
		d.reason = reasonNever
	case d.bn != nil:
		d.reason = reasonBackpressure
	default:
		d.reason = reasonUnknown
	}
	return d
}

// byTime sorts subtasks slowest first.
func byTime(ss []checkpoint.SubtaskStats) {
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].EndToEnd > ss[j].EndToEnd })
}

// delayed explains a slow (completed later than limit) or expired
// checkpoint: it classifies, then phrases.
func (v *view) delayed(f *Finding, expired bool, limit time.Duration) {
	d := v.classifyDelay(expired, limit)
	f.Cause = d.reason.cause()
	for _, s := range d.late {
		f.Late = append(f.Late, s.Task)
	}
	if d.bn != nil {
		f.Bottleneck = d.bn.vertex
	}
	if d.sk != nil {
		f.HotVertex, f.HotSubtask = d.sk.vertex, d.sk.subtask
	}
	f.Summary = v.delaySummary(d)
	f.Causes = append(f.Causes, v.delayCauses(d)...)
	f.Advice = append(f.Advice, v.delayAdvice(d, f.Bottleneck)...)
}

// delaySummary is the one sentence: what happened, and why.
func (v *view) delaySummary(d *delay) string {
	cs := v.cs
	var head string
	if d.expired {
		timeout := v.in.Timeout
		var ee *checkpoint.ExpiredError
		if errors.As(cs.Failure, &ee) && ee.Timeout > 0 {
			timeout = ee.Timeout
		}
		if timeout <= 0 {
			timeout = cs.EndToEnd
		}
		head = fmt.Sprintf("%s expired after %s", v.what, dur(timeout))
	} else {
		head = fmt.Sprintf("%s took %s, with checkpoints every %s", v.what, dur(cs.EndToEnd), dur(v.in.Interval))
	}
	why := v.delayWhy(d)
	if why == "" {
		return head + "; the subtasks' figures are not known."
	}
	return sentence(head + ": " + why)
}

// delayWhy phrases the main reason, from the slowest subtask's figures if
// there are any, else from the backpressure.
func (v *view) delayWhy(d *delay) string {
	rep, dom, bn, frontier := d.rep, d.dom, d.bn, d.frontier
	culprit := v.culprit(bn, d.sk)
	bpSeen := len(d.bps) > 0
	queued := "queued data"
	if bpSeen {
		queued = "backpressured data"
	}
	var why string
	switch d.reason {
	case reasonTooSoon:
		why = fmt.Sprintf("%s acknowledged last, after %s, too soon for its figures to tell where the time went", v.subtaskName(*rep), dur(rep.EndToEnd))
	case reasonBusySource:
		why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + " before it took the trigger: it was busy in its own work (a function chained to it, or the source's read), which a subtask finishes before it takes a trigger, and everything downstream waited for its barrier"
	case reasonStartDelay:
		if v.isSource(rep.Task.Vertex) {
			why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + " waiting to take its snapshot, as the source was blocked"
			if bpSeen {
				why += " by backpressure"
			} else {
				why += " (busy or backpressured)"
			}
		} else {
			why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + " waiting for the barrier, which was stuck behind " + queued
			if !bpSeen && bn == nil {
				why += ", a sign of backpressure"
			}
		}
		why += culprit
	case reasonAlignment:
		why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + " aligning: waiting for the barrier on its slowest input channel" + culprit
	case reasonSync:
		why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + " in the synchronous part of its snapshot"
	case reasonStorage:
		why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + fmt.Sprintf(" writing only %s of state (the asynchronous part), so the checkpoint storage is slow", units.Bytes(rep.Metrics.StateSize))
	case reasonAsync:
		why = spent(v.subtaskName(*rep), dom.d, rep.EndToEnd) + fmt.Sprintf(" writing %s of state (the asynchronous part)", units.Bytes(rep.Metrics.StateSize))
	case reasonAckDelay:
		why = fmt.Sprintf("the acknowledgement of %s reached the coordinator %s after its snapshot was written (%d%% of its %s)", v.subtaskName(*rep), dur(dom.d), percent(dom.d, rep.EndToEnd), dur(rep.EndToEnd))
	case reasonNeverBackpressure:
		switch {
		case v.isSource(frontier[0].Task.Vertex) && len(frontier) == 1:
			why = v.neverList(frontier) + " never took its snapshot because backpressure kept the source blocked"
		case v.isSource(frontier[0].Task.Vertex):
			why = v.neverList(frontier) + " never took their snapshots because backpressure kept the sources blocked"
		case len(frontier) == 1:
			why = v.neverList(frontier) + " never acknowledged because its barrier was stuck behind backpressured data"
		default:
			why = v.neverList(frontier) + " never acknowledged because their barriers were stuck behind backpressured data"
		}
		why += culprit
	case reasonNever:
		why = v.neverList(frontier) + " never acknowledged"
		if v.rated && !bpSeen {
			if len(frontier) == 1 {
				why += ", though no vertex is backpressured, so its snapshot did not finish in time"
			} else {
				why += ", though no vertex is backpressured, so their snapshots did not finish in time"
			}
		}
		why += culprit
	case reasonBackpressure:
		why = "its barriers were held back by backpressure" + culprit
	}
	return why
}

// delayCauses are the further sentences, most important first.
func (v *view) delayCauses(d *delay) []string {
	cs, rep := v.cs, d.rep
	var causes []string
	if d.expired {
		if len(d.missing) > 0 {
			causes = append(causes, fmt.Sprintf("%d of %d subtasks never acknowledged: %s.", len(d.missing), len(cs.Subtasks), v.names(d.missing, false)))
		}
		if len(d.lateAcked) > 0 {
			causes = append(causes, fmt.Sprintf("Acknowledged only after the %s had expired: %s.", cs.Kind, v.names(d.lateAcked, true)))
		}
	} else if rep != nil {
		c := fmt.Sprintf("%s acknowledged last, after %s", v.subtaskName(*rep), dur(rep.EndToEnd))
		if d.reason == reasonBusySource {
			c = fmt.Sprintf("%s took the trigger %s late", v.subtaskName(*rep), dur(rep.Metrics.StartDelay))
		}
		var others []checkpoint.SubtaskStats
		for _, s := range d.late {
			if s.Task != rep.Task {
				others = append(others, s)
			}
		}
		byTime(others)
		if len(others) > 0 {
			c += fmt.Sprintf("; also later than %s: %s", dur(d.limit), v.names(others, true))
		}
		causes = append(causes, c+".")
	}
	if rep != nil {
		causes = append(causes, v.breakdown(*rep))
	} else if len(d.frontier) > 0 && !v.rated {
		causes = append(causes, "Without the job's busy and backpressured times it cannot be told whether the barrier was stuck behind backpressured data or the snapshot was slow; diagnose the job while it runs (weir checkpoint diagnose --web).")
	}
	if v.rated {
		causes = append(causes, v.backpressureLine(d.bn, d.bps))
	}
	if d.sk != nil {
		causes = append(causes, v.skewLine(d.sk))
	}
	return causes
}

// delayAdvice says what would help, most useful first.
func (v *view) delayAdvice(d *delay, bottleneck int) []string {
	bn, sk, cause := d.bn, d.sk, d.reason.cause()
	var advice []string
	if d.reason == reasonBusySource {
		advice = append(advice, fmt.Sprintf("Take the slow work out of the record path of %s: load a cache in the function's Open, before the first record, or asynchronously; while a function blocks, its subtask takes no checkpoint (its task manager's heartbeats go on: it is not declared lost).", v.vertexName(d.rep.Task.Vertex)))
	}
	waits := cause == CauseBackpressure || cause == CauseAlignment
	if sk != nil && (waits || sk.vertex == bottleneck) {
		if sk.hash {
			advice = append(advice, fmt.Sprintf("Fix the key skew in %s: salt the hot key (add a random suffix, aggregate per salted key, then combine the partial results) or pre-aggregate before the keyBy; more parallelism does not split one hot key.", v.vertexName(sk.vertex)))
		} else {
			advice = append(advice, fmt.Sprintf("Spread the input of %s evenly (rebalance it) so that one subtask does not get most of the records.", v.vertexName(sk.vertex)))
		}
	}
	if bn != nil && (sk == nil || sk.vertex != bn.vertex) {
		advice = append(advice, fmt.Sprintf("Raise the parallelism of %s (now %d) or make it faster, so that it keeps up with its input.", v.vertexName(bn.vertex), v.parallelism(bn.vertex)))
	}
	if waits {
		if bn == nil && len(v.in.Vertices) == 0 {
			advice = append(advice, "Find the bottleneck while the job runs (weir checkpoint diagnose --web): the first vertex downstream of the backpressured ones that is busy and not backpressured; raise its parallelism or make it faster.")
		}
		advice = append(advice, "Unaligned checkpoints would let the barrier overtake the queued data, but Weir does not have them yet; until then, fewer network buffers (taskmanager.network.memory.buffers-per-channel, taskmanager.network.memory.floating-buffers-per-gate) leave less data in front of the barrier.")
		if d.expired {
			advice = append(advice, "A longer execution.checkpointing.timeout does not cure backpressure: the barrier waits as long as the backlog lasts.")
		}
	}
	switch {
	case cause == CauseSyncPart && d.rep.Metrics.StateSize < smallState:
		advice = append(advice, fmt.Sprintf("With only %s of state, a long synchronous part points at a starved task thread: look at the machine's CPU load and at garbage collection.", units.Bytes(d.rep.Metrics.StateSize)))
	case cause == CauseSyncPart, cause == CauseAsyncPart:
		advice = append(advice, "Keep the state smaller: expire keys no longer needed and store less per key. For large state, use the pebble backend with incremental checkpoints (state.backend.type: pebble, execution.checkpointing.incremental: true): each checkpoint then uploads only the files written since the last one.")
	case cause == CauseStorage:
		advice = append(advice, "Check the checkpoint storage (execution.checkpointing.dir): a slow or remote disk, a congested network, or a throttled object store.")
	case cause == CauseAckDelay:
		advice = append(advice, "The coordinator was slow to take acknowledgements: look at the process's CPU and garbage collection around that time.")
	}
	if d.expired && !waits && bn == nil && sk == nil {
		to := ""
		if v.in.Timeout > 0 {
			to = fmt.Sprintf(" (now %s)", dur(v.in.Timeout))
		}
		advice = append(advice, fmt.Sprintf("If nothing else is wrong, give checkpoints more time: raise execution.checkpointing.timeout%s.", to))
	}
	return advice
}

// spent reads "Sink (1/1) spent 1.2s of its 1.3s (96%)".
func spent(who string, d, total time.Duration) string {
	return fmt.Sprintf("%s spent %s of its %s (%d%%)", who, dur(d), dur(total), percent(d, total))
}

// neverList names the subtasks that never acknowledged: "Sink (1/1)",
// "Count (1/2) and Count (2/2)", "Count (1/4) and 3 more subtasks".
func (v *view) neverList(ss []checkpoint.SubtaskStats) string {
	switch len(ss) {
	case 1:
		return v.subtaskName(ss[0])
	case 2:
		return v.subtaskName(ss[0]) + " and " + v.subtaskName(ss[1])
	}
	return fmt.Sprintf("%s and %d more subtasks", v.subtaskName(ss[0]), len(ss)-1)
}

// culprit is the clause naming the bottleneck and the hot subtask, with
// its leading "; ".
func (v *view) culprit(bn *bottleneck, sk *skew) string {
	var hot string
	if sk != nil {
		why := "because the keys are skewed"
		if !sk.hash {
			why = "because its input is not spread evenly"
		}
		hot = fmt.Sprintf("subtask %d of %s receives %d%% of the records %s", sk.subtask+1, v.vertexName(sk.vertex), ratioPct(sk.value, sk.total), why)
	}
	switch {
	case bn != nil && sk != nil && sk.vertex == bn.vertex:
		return "; the bottleneck is " + strings.Replace(hot, " receives", ", which receives", 1)
	case bn != nil:
		return fmt.Sprintf("; the bottleneck is %s, busy %d%% of the time", v.vertexName(bn.vertex), ratioPct(bn.busy, 1000))
	case sk != nil:
		return "; " + hot
	}
	return ""
}

func (v *view) breakdown(s checkpoint.SubtaskStats) string {
	ps, rest := parts(s)
	items := make([]string, 0, len(ps)+1)
	for _, p := range ps {
		items = append(items, fmt.Sprintf("%s %s (%d%%)", p.name, dur(p.d), percent(p.d, s.EndToEnd)))
	}
	if s.EndToEnd > 0 && rest*10 > s.EndToEnd {
		items = append(items, fmt.Sprintf("unaccounted %s (%d%%)", dur(rest), percent(rest, s.EndToEnd)))
	}
	state := "it has no state"
	if s.Metrics.StateSize > 0 {
		state = "it wrote " + units.Bytes(s.Metrics.StateSize) + " of state"
	}
	return fmt.Sprintf("Where the %s of %s went: %s; %s.", dur(s.EndToEnd), v.subtaskName(s), strings.Join(items, ", "), state)
}

// bottleneck applies Flink's rule: the backpressure's source is the first
// vertex, following the edges downstream from backpressured vertices, that
// is not backpressured itself (the busiest such vertex if there are
// several). bps lists the backpressured vertices, by ID.
func (v *view) bottleneck() (*bottleneck, []pressured) {
	if !v.rated {
		return nil, nil
	}
	ids := slices.Sorted(maps.Keys(v.vertices))
	bpOf := map[int]float64{}
	var bps []pressured
	for _, id := range ids {
		var bp float64
		for _, s := range v.vertices[id].Subtasks {
			bp = max(bp, s.BackPressuredTimeMsPerSecond)
		}
		bpOf[id] = bp
		if bp > levelLow {
			bps = append(bps, pressured{id, bp})
		}
	}
	var best *bottleneck
	for _, id := range ids {
		vs := v.vertices[id]
		if bpOf[id] > levelLow {
			continue
		}
		below := false
		for _, in := range vs.Inputs {
			if bpOf[in.FromVertex] > levelLow {
				below = true
			}
		}
		if !below {
			continue
		}
		var busy float64
		for _, s := range vs.Subtasks {
			busy = max(busy, s.BusyTimeMsPerSecond)
		}
		if best == nil || busy > best.busy {
			best = &bottleneck{vertex: id, busy: busy}
		}
	}
	return best, bps
}

func level(bp float64) string {
	switch {
	case bp > levelHigh:
		return "HIGH"
	case bp > levelLow:
		return "LOW"
	}
	return "OK"
}

func (v *view) backpressureLine(bn *bottleneck, bps []pressured) string {
	if len(bps) == 0 {
		return "No vertex is backpressured (each below 10% of the time)."
	}
	items := make([]string, len(bps))
	for i, p := range bps {
		items[i] = fmt.Sprintf("%s (%s, %d%% of the time)", v.vertexName(p.vertex), level(p.bp), ratioPct(p.bp, 1000))
	}
	s := "Backpressured: " + strings.Join(items, ", ")
	if bn != nil {
		them := "them"
		if len(bps) == 1 {
			them = "it"
		}
		s += fmt.Sprintf("; downstream of %s %s is not backpressured and busy %d%% of the time: it is the bottleneck", them, v.vertexName(bn.vertex), ratioPct(bn.busy, 1000))
	}
	return s + "."
}

// skew finds a hot subtask: in vertex focus if it has one, else the most
// skewed vertex.
func (v *view) skew(focus int) *skew {
	if vs, ok := v.vertices[focus]; ok {
		if sk := findSkew(vs); sk != nil {
			return sk
		}
	}
	var best *skew
	for _, id := range slices.Sorted(maps.Keys(v.vertices)) {
		if sk := findSkew(v.vertices[id]); sk != nil && (best == nil || sk.value/sk.total > best.value/best.total) {
			best = sk
		}
	}
	return best
}

func findSkew(vs *graph.VertexStatus) *skew {
	n := len(vs.Subtasks)
	if n < 2 {
		return nil
	}
	vals := make([]float64, n)
	var total float64
	for i, s := range vs.Subtasks {
		vals[i] = float64(s.RecordsIn)
		total += vals[i]
	}
	byRate := false
	if total < minSkewRecords {
		total, byRate = 0, true
		for i, s := range vs.Subtasks {
			vals[i] = s.RecordsInPerSecond
			total += vals[i]
		}
		if total < minSkewRate {
			return nil
		}
	}
	mean := total / float64(n)
	best, bestMedian := -1, 0.0
	for i := range vals {
		sib := make([]float64, 0, n-1)
		sib = append(sib, vals[:i]...)
		sib = append(sib, vals[i+1:]...)
		med := median(sib)
		if vals[i] > skewMedian*med && vals[i] > skewMean*mean && (best < 0 || vals[i] > vals[best]) {
			best, bestMedian = i, med
		}
	}
	if best < 0 {
		return nil
	}
	hash := false
	for _, in := range vs.Inputs {
		hash = hash || in.Partitioning == "HASH"
	}
	return &skew{vertex: vs.ID, subtask: vs.Subtasks[best].Subtask, value: vals[best], total: total, median: bestMedian, byRate: byRate, hash: hash}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (v *view) skewLine(sk *skew) string {
	num := func(x float64) string {
		if sk.byRate {
			return fmt.Sprintf("%.0f/s", x)
		}
		return fmt.Sprintf("%.0f", x)
	}
	why := "the keys are skewed"
	if !sk.hash {
		why = "its input is not spread evenly"
	}
	return fmt.Sprintf("Subtask %d of %s receives %d%% of the records (%s of %s), its siblings a median of %s: %s.",
		sk.subtask+1, v.vertexName(sk.vertex), ratioPct(sk.value, sk.total), num(sk.value), num(sk.total), num(sk.median), why)
}

// ---- declined and failed checkpoints ----

func (v *view) declined(f *Finding, err error) {
	f.Cause = CauseDeclined
	var de *checkpoint.DeclinedError
	if errors.As(err, &de) {
		who := de.TaskName
		for _, s := range v.cs.Subtasks {
			if s.Task == de.Task && who == "" {
				who = v.subtaskName(s)
			}
		}
		if who == "" {
			who = fmt.Sprintf("%s (%d/%d)", v.vertexName(de.Task.Vertex), de.Task.Subtask+1, max(v.parallelism(de.Task.Vertex), de.Task.Subtask+1))
		}
		cause := "it gave no reason"
		if de.Cause != nil {
			cause = oneLine(de.Cause)
		}
		f.Summary = sentence(fmt.Sprintf("%s was declined by %s: %s", v.what, who, cause))
		f.Late = []checkpoint.SubtaskKey{de.Task}
	} else {
		f.Summary = sentence(fmt.Sprintf("%s was declined: %s", v.what, oneLine(err)))
	}
	harmless := "Such declines do not count towards execution.checkpointing.tolerable-failed-checkpoints."
	nothing := "Nothing to do if the next checkpoints complete."
	switch {
	case errors.Is(err, checkpoint.ErrTaskNotReady):
		f.Causes = append(f.Causes, "The task was still starting or restoring its state. "+harmless)
		f.Advice = append(f.Advice, nothing)
	case errors.Is(err, checkpoint.ErrTaskClosing), errors.Is(err, checkpoint.ErrEndOfInput):
		f.Causes = append(f.Causes, "The task had finished its input or was closing. "+harmless)
		f.Advice = append(f.Advice, nothing)
	case errors.Is(err, checkpoint.ErrBarrierSubsumed), errors.Is(err, checkpoint.ErrCancellationBarrier):
		f.Causes = append(f.Causes, "A newer checkpoint's barrier, or a cancellation, overtook this one. "+harmless)
		f.Advice = append(f.Advice, nothing)
	case errors.Is(err, checkpoint.ErrNotAllTasksRunning):
		f.Causes = append(f.Causes, "Not every task was running. "+harmless)
		f.Advice = append(f.Advice, nothing)
	case errors.Is(err, checkpoint.ErrAsyncSnapshot):
		f.Causes = append(f.Causes, "Taking or writing the task's snapshot failed; this counts towards execution.checkpointing.tolerable-failed-checkpoints.")
		f.Advice = append(f.Advice, "Check the checkpoint storage (execution.checkpointing.dir): free space, permissions, network, credentials.")
	default:
		f.Causes = append(f.Causes, "This counts towards execution.checkpointing.tolerable-failed-checkpoints.")
		f.Advice = append(f.Advice, "Look at the declining task's log around the time of the decline.")
	}
}

func (v *view) finalizeFailed(f *Finding, err error) {
	f.Cause = CauseMetadata
	cause := oneLine(err)
	var fe *checkpoint.FinalizeError
	if errors.As(err, &fe) && fe.Cause != nil {
		cause = oneLine(fe.Cause)
	}
	f.Summary = sentence(fmt.Sprintf("%s failed although every subtask acknowledged: writing its metadata failed: %s", v.what, cause))
	f.Advice = append(f.Advice, "Check the checkpoint storage (execution.checkpointing.dir): free space, permissions, network, credentials.")
}

// ---- words ----

// dur rounds d for people: "250µs", "2.76ms", "480ms", "2.35s", "12.3s",
// "9m58s".
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < 10*time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func percent(part, whole time.Duration) int {
	if whole <= 0 {
		return 0
	}
	return ratioPct(float64(part), float64(whole))
}

func ratioPct(part, whole float64) int {
	if whole <= 0 {
		return 0
	}
	return int(math.Round(100 * part / whole))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// sentence ends s with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

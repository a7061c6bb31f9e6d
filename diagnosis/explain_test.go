package diagnosis_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/graph"
)

const ms = time.Millisecond

// acked is a subtask that acknowledged after e2e, its time split as
// start delay, alignment, sync and async.
func acked(v, i, p int, name string, e2e, start, align, sync, async time.Duration, size int64) checkpoint.SubtaskStats {
	return checkpoint.SubtaskStats{
		Task: checkpoint.SubtaskKey{Vertex: v, Subtask: i}, Name: fmt.Sprintf("%s (%d/%d)", name, i+1, p),
		Acknowledged: true, EndToEnd: e2e,
		Metrics: checkpoint.SubtaskMetrics{StartDelay: start, Alignment: align, SyncDuration: sync, AsyncDuration: async, StateSize: size},
	}
}

// lateAck is a subtask that acknowledged after the checkpoint expired.
func lateAck(s checkpoint.SubtaskStats) checkpoint.SubtaskStats { s.Late = true; return s }

func never(v, i, p int, name string) checkpoint.SubtaskStats {
	return checkpoint.SubtaskStats{Task: checkpoint.SubtaskKey{Vertex: v, Subtask: i}, Name: fmt.Sprintf("%s (%d/%d)", name, i+1, p)}
}

func completed(id int64, e2e time.Duration, subs ...checkpoint.SubtaskStats) checkpoint.CheckpointStats {
	return checkpoint.CheckpointStats{ID: checkpoint.ID(id), Status: checkpoint.StatusCompleted, EndToEnd: e2e,
		NumSubtasks: len(subs), NumAcknowledged: len(subs), Subtasks: subs}
}

func failed(id int64, e2e time.Duration, err error, subs ...checkpoint.SubtaskStats) checkpoint.CheckpointStats {
	n := 0
	for _, s := range subs {
		if s.Acknowledged && !s.Late {
			n++
		}
	}
	return checkpoint.CheckpointStats{ID: checkpoint.ID(id), Status: checkpoint.StatusFailed, EndToEnd: e2e, Failure: err,
		NumSubtasks: len(subs), NumAcknowledged: n, Subtasks: subs}
}

func expired(id int64, timeout time.Duration, subs ...checkpoint.SubtaskStats) checkpoint.CheckpointStats {
	e := &checkpoint.ExpiredError{Checkpoint: checkpoint.ID(id), Timeout: timeout, Total: len(subs)}
	for _, s := range subs {
		if !s.Acknowledged || s.Late {
			e.Missing = append(e.Missing, s.Task)
			e.Names = append(e.Names, s.Name)
		}
	}
	return failed(id, timeout, e, subs...)
}

// vertex builds a vertex's live figures; in lists the upstream vertices
// with their partitioning ("HASH 0").
func vertex(id int, name string, in []string, subs ...graph.SubtaskStatus) graph.VertexStatus {
	v := graph.VertexStatus{ID: id, Name: name, Parallelism: len(subs), Subtasks: subs}
	for _, e := range in {
		var part string
		var from int
		fmt.Sscanf(e, "%s %d", &part, &from)
		v.Inputs = append(v.Inputs, graph.VertexInputInfo{FromVertex: from, Partitioning: part})
	}
	for i := range v.Subtasks {
		v.Subtasks[i].Subtask = i
	}
	return v
}

// fig is a subtask's figures: records in, busy and backpressured ms/s.
func fig(records int64, busy, bp float64) graph.SubtaskStatus {
	return graph.SubtaskStatus{RecordsIn: records, BusyTimeMsPerSecond: busy, BackPressuredTimeMsPerSecond: bp,
		IdleTimeMsPerSecond: max(0, 1000-busy-bp)}
}

func TestExplain(t *testing.T) {
	// Seed 000: a sink far slower than the source; checkpoints expire.
	slowSink := []graph.VertexStatus{
		vertex(0, "Source: Kafka", nil, fig(0, 40, 955)),
		vertex(1, "MySQL Sink", []string{"REBALANCE 0"}, fig(52000, 994, 0)),
	}
	// Seed 003: 90% of the records carry one key.
	skewed := []graph.VertexStatus{
		vertex(0, "Source: Events", nil, fig(0, 30, 962)),
		vertex(1, "Count", []string{"HASH 0"}, fig(1000, 120, 0), fig(9000, 999, 0)),
		vertex(2, "Sink", []string{"FORWARD 1"}, fig(500, 5, 0), fig(4500, 40, 0)),
	}
	quiet := []graph.VertexStatus{
		vertex(0, "Source: Gen", nil, fig(0, 30, 0)),
		vertex(1, "Count", []string{"HASH 0"}, fig(5000, 50, 0), fig(5000, 60, 0)),
	}
	chain := []graph.VertexStatus{ // Source -> Parse -> Enrich (slow) -> Sink
		vertex(0, "Source: Gen", nil, fig(0, 10, 980)),
		vertex(1, "Parse", []string{"REBALANCE 0"}, fig(3000, 20, 970), fig(3000, 25, 960)),
		vertex(2, "Enrich", []string{"REBALANCE 1"}, fig(3000, 985, 2), fig(3000, 990, 0)),
		vertex(3, "Sink", []string{"REBALANCE 2"}, fig(6000, 10, 0)),
	}

	busySource := []graph.VertexStatus{ // the seed's cache load: a chained function blocks for seconds
		vertex(0, "Source: Lines -> Split", nil, fig(0, 1000, 0), fig(0, 10, 0)),
		vertex(1, "Count -> Files", []string{"HASH 0"}, fig(3000, 5, 0), fig(3000, 5, 0)),
	}
	tests := []struct {
		name       string
		in         diagnosis.Input
		summary    string
		cause      string
		bottleneck int
		hot        [2]int // vertex, subtask
		late       []checkpoint.SubtaskKey
		causes     []string // substrings of Causes, in order
		advice     []string // substrings of Advice, in order
	}{{
		name: "a source busy in a function chained to it",
		in: diagnosis.Input{Interval: 200 * ms, Timeout: 10 * time.Minute, Vertices: busySource,
			Checkpoint: completed(4, 3410*ms,
				acked(0, 0, 2, "Source: Lines -> Split", 3402*ms, 3400*ms, 0, 1*ms, 1*ms, 512),
				acked(0, 1, 2, "Source: Lines -> Split", 6*ms, 4*ms, 0, 1*ms, 1*ms, 512),
				acked(1, 0, 2, "Count -> Files", 3410*ms, 3405*ms, 2*ms, 1*ms, 2*ms, 1024),
				acked(1, 1, 2, "Count -> Files", 3408*ms, 3404*ms, 1*ms, 1*ms, 2*ms, 1024))},
		summary:    "Checkpoint 4 took 3.41s, with checkpoints every 200ms: Source: Lines -> Split (1/2) spent 3.4s of its 3.4s (100%) before it took the trigger: it was busy in its own work (a function chained to it, or the source's read), which a subtask finishes before it takes a trigger, and everything downstream waited for its barrier.",
		cause:      diagnosis.CauseBusyTask,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 0}, {Vertex: 1}, {Vertex: 1, Subtask: 1}},
		causes: []string{"Source: Lines -> Split (1/2) took the trigger 3.4s late; also later than 100ms: Count -> Files (1/2) after 3.41s"},
		advice: []string{"Take the slow work out of the record path of Source: Lines -> Split: load a cache in the function's Open"},
	}, {
		name: "expired behind a slow sink",
		in: diagnosis.Input{Interval: 20 * time.Second, Timeout: 10 * time.Minute, Vertices: slowSink,
			Checkpoint: expired(166, 10*time.Minute,
				acked(0, 0, 1, "Source: Kafka", 40*ms, 35*ms, 0, 1*ms, 3*ms, 2048),
				never(1, 0, 1, "MySQL Sink"))},
		summary:    "Checkpoint 166 expired after 10m0s: MySQL Sink (1/1) never acknowledged because its barrier was stuck behind backpressured data; the bottleneck is MySQL Sink, busy 99% of the time.",
		cause:      diagnosis.CauseBackpressure,
		bottleneck: 1, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 1}},
		causes: []string{
			"1 of 2 subtasks never acknowledged: MySQL Sink (1/1).",
			"Backpressured: Source: Kafka (HIGH, 96% of the time); downstream of it MySQL Sink is not backpressured and busy 99% of the time: it is the bottleneck.",
		},
		advice: []string{"Raise the parallelism of MySQL Sink (now 1)", "Unaligned checkpoints", "A longer execution.checkpointing.timeout does not cure backpressure"},
	}, {
		name: "expired, the late acknowledgement tells the start delay",
		in: diagnosis.Input{Interval: 100 * ms, Timeout: 300 * ms, Vertices: slowSink,
			Checkpoint: expired(3, 300*ms,
				acked(0, 0, 1, "Source: Kafka", 12*ms, 10*ms, 0, 0, 1*ms, 100),
				lateAck(acked(1, 0, 1, "MySQL Sink", 1250*ms, 1240*ms, 0, 1*ms, 2*ms, 100)))},
		summary:    "Checkpoint 3 expired after 300ms: MySQL Sink (1/1) spent 1.24s of its 1.25s (99%) waiting for the barrier, which was stuck behind backpressured data; the bottleneck is MySQL Sink, busy 99% of the time.",
		cause:      diagnosis.CauseBackpressure,
		bottleneck: 1, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 1}},
		causes: []string{
			"Acknowledged only after the checkpoint had expired: MySQL Sink (1/1) after 1.25s.",
			"Where the 1.25s of MySQL Sink (1/1) went: start delay 1.24s (99%), alignment 0s (0%), synchronous part 1ms (0%), asynchronous part 2ms (0%); it wrote 100 B of state.",
			"Backpressured: Source: Kafka",
		},
	}, {
		name: "slow, start delay, bottleneck in the middle",
		in: diagnosis.Input{Interval: 1 * time.Second, Vertices: chain,
			Checkpoint: completed(12, 2300*ms,
				acked(0, 0, 1, "Source: Gen", 20*ms, 15*ms, 0, 1*ms, 2*ms, 64),
				acked(1, 0, 2, "Parse", 400*ms, 390*ms, 5*ms, 1*ms, 1*ms, 0),
				acked(1, 1, 2, "Parse", 420*ms, 410*ms, 5*ms, 1*ms, 1*ms, 0),
				acked(2, 0, 2, "Enrich", 2100*ms, 2050*ms, 40*ms, 2*ms, 3*ms, 0),
				acked(2, 1, 2, "Enrich", 2200*ms, 2100*ms, 90*ms, 2*ms, 3*ms, 0),
				acked(3, 0, 1, "Sink", 2300*ms, 2210*ms, 0, 1*ms, 2*ms, 0))},
		summary:    "Checkpoint 12 took 2.3s, with checkpoints every 1s: Sink (1/1) spent 2.21s of its 2.3s (96%) waiting for the barrier, which was stuck behind backpressured data; the bottleneck is Enrich, busy 99% of the time.",
		cause:      diagnosis.CauseBackpressure,
		bottleneck: 2, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 2, Subtask: 0}, {Vertex: 2, Subtask: 1}, {Vertex: 3}},
		causes: []string{
			"Sink (1/1) acknowledged last, after 2.3s; also later than 500ms: Enrich (2/2) after 2.2s, Enrich (1/2) after 2.1s.",
			"Where the 2.3s of Sink (1/1) went: start delay 2.21s (96%)",
			"Backpressured: Source: Gen (HIGH, 98% of the time), Parse (HIGH, 97% of the time); downstream of them Enrich is not backpressured and busy 99% of the time: it is the bottleneck.",
		},
		advice: []string{"Raise the parallelism of Enrich (now 2) or make it faster, so that it keeps up with its input.", "Unaligned checkpoints would let the barrier overtake the queued data, but Weir does not have them yet"},
	}, {
		name: "expired behind a hot key",
		in: diagnosis.Input{Interval: 20 * time.Second, Timeout: 2 * time.Minute, Vertices: skewed,
			Checkpoint: expired(224, 2*time.Minute,
				acked(0, 0, 1, "Source: Events", 30*ms, 20*ms, 0, 1*ms, 5*ms, 100),
				acked(1, 0, 2, "Count", 900*ms, 850*ms, 30*ms, 2*ms, 10*ms, 4096),
				never(1, 1, 2, "Count"),
				acked(2, 0, 2, "Sink", 950*ms, 940*ms, 0, 1*ms, 1*ms, 0),
				never(2, 1, 2, "Sink"))},
		summary:    "Checkpoint 224 expired after 2m0s: Count (2/2) never acknowledged because its barrier was stuck behind backpressured data; the bottleneck is subtask 2 of Count, which receives 90% of the records because the keys are skewed.",
		cause:      diagnosis.CauseBackpressure,
		bottleneck: 1, hot: [2]int{1, 1},
		late: []checkpoint.SubtaskKey{{Vertex: 1, Subtask: 1}, {Vertex: 2, Subtask: 1}},
		causes: []string{
			"2 of 5 subtasks never acknowledged: Count (2/2), Sink (2/2).",
			"Backpressured: Source: Events (HIGH, 96% of the time); downstream of it Count is not backpressured and busy 100% of the time: it is the bottleneck.",
			"Subtask 2 of Count receives 90% of the records (9000 of 10000), its siblings a median of 1000: the keys are skewed.",
		},
		advice: []string{"Fix the key skew in Count: salt the hot key", "Unaligned checkpoints"},
	}, {
		name: "slow, alignment, no live figures",
		in: diagnosis.Input{Interval: 1 * time.Second,
			Checkpoint: completed(5, 3*time.Second,
				acked(0, 0, 1, "Source: Orders", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 1, "Source: Payments", 300*ms, 295*ms, 0, 1*ms, 1*ms, 10),
				acked(2, 0, 1, "Join", 3*time.Second, 200*ms, 2700*ms, 10*ms, 50*ms, 8<<20))},
		summary:    "Checkpoint 5 took 3s, with checkpoints every 1s: Join (1/1) spent 2.7s of its 3s (90%) aligning: waiting for the barrier on its slowest input channel.",
		cause:      diagnosis.CauseAlignment,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 2}},
		causes: []string{"Join (1/1) acknowledged last, after 3s.", "alignment 2.7s (90%)"},
		advice: []string{"Find the bottleneck while the job runs", "Unaligned checkpoints"},
	}, {
		name: "slow, synchronous part",
		in: diagnosis.Input{Interval: 1 * time.Second, Vertices: quiet,
			Checkpoint: completed(8, 1500*ms,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 2, "Count", 1500*ms, 20*ms, 5*ms, 1400*ms, 60*ms, 900<<20),
				acked(1, 1, 2, "Count", 1450*ms, 20*ms, 5*ms, 1350*ms, 60*ms, 880<<20))},
		summary:    "Checkpoint 8 took 1.5s, with checkpoints every 1s: Count (1/2) spent 1.4s of its 1.5s (93%) in the synchronous part of its snapshot.",
		cause:      diagnosis.CauseSyncPart,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1, Subtask: 0}, {Vertex: 1, Subtask: 1}},
		causes: []string{"Count (1/2) acknowledged last, after 1.5s; also later than 500ms: Count (2/2) after 1.45s.", "synchronous part 1.4s (93%)", "No vertex is backpressured"},
		advice: []string{"Keep the state smaller: expire keys no longer needed and store less per key. For large state, use the pebble backend with incremental checkpoints (state.backend.type: pebble, execution.checkpointing.incremental: true): each checkpoint then uploads only the files written since the last one."},
	}, {
		name: "slow, synchronous part with little state",
		in: diagnosis.Input{Interval: 100 * ms,
			Checkpoint: completed(11, 80*ms,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 1, "Count", 80*ms, 2*ms, 0, 75*ms, 1*ms, 12<<10))},
		summary:    "Checkpoint 11 took 80ms, with checkpoints every 100ms: Count (1/1) spent 75ms of its 80ms (94%) in the synchronous part of its snapshot.",
		cause:      diagnosis.CauseSyncPart,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1}},
		advice: []string{"With only 12.0 KiB of state, a long synchronous part points at a starved task thread: look at the machine's CPU load and at garbage collection."},
	}, {
		name: "slow, asynchronous part with large state",
		in: diagnosis.Input{Interval: time.Minute,
			Checkpoint: completed(9, 40*time.Second,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 1, "Window", 40*time.Second, 30*ms, 0, 200*ms, 38*time.Second, 2<<30))},
		summary:    "Checkpoint 9 took 40s, with checkpoints every 1m0s: Window (1/1) spent 38s of its 40s (95%) writing 2.0 GiB of state (the asynchronous part).",
		cause:      diagnosis.CauseAsyncPart,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1}},
		advice: []string{"Keep the state smaller"},
	}, {
		name: "expired, asynchronous part with little state: slow storage",
		in: diagnosis.Input{Interval: 10 * time.Second, Timeout: 5 * time.Second, Vertices: quiet,
			Checkpoint: expired(21, 5*time.Second,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 2, "Count", 200*ms, 20*ms, 5*ms, 1*ms, 170*ms, 40<<10),
				lateAck(acked(1, 1, 2, "Count", 7*time.Second, 20*ms, 5*ms, 1*ms, 6900*ms, 38<<10)))},
		summary:    "Checkpoint 21 expired after 5s: Count (2/2) spent 6.9s of its 7s (99%) writing only 38.0 KiB of state (the asynchronous part), so the checkpoint storage is slow.",
		cause:      diagnosis.CauseStorage,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1, Subtask: 1}},
		causes: []string{"Acknowledged only after the checkpoint had expired: Count (2/2) after 7s."},
		advice: []string{"Check the checkpoint storage (execution.checkpointing.dir)", "raise execution.checkpointing.timeout (now 5s)"},
	}, {
		name: "expired, never acknowledged, no live figures",
		in: diagnosis.Input{Interval: 1 * time.Second, Timeout: 500 * ms,
			Checkpoint: expired(3, 500*ms,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				never(1, 0, 2, "Count"), never(1, 1, 2, "Count"), never(2, 0, 1, "Sink"))},
		summary:    "Checkpoint 3 expired after 500ms: Count (1/2) and Count (2/2) never acknowledged.",
		cause:      diagnosis.CauseNoAck,
		bottleneck: -1, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 1, Subtask: 0}, {Vertex: 1, Subtask: 1}, {Vertex: 2}},
		causes: []string{"3 of 4 subtasks never acknowledged: Count (1/2), Count (2/2), Sink (1/1).",
			"Without the job's busy and backpressured times it cannot be told whether the barrier was stuck behind backpressured data or the snapshot was slow"},
		advice: []string{"If nothing else is wrong, give checkpoints more time: raise execution.checkpointing.timeout (now 500ms)."},
	}, {
		name: "expired, never acknowledged, nothing backpressured",
		in: diagnosis.Input{Interval: 1 * time.Second, Timeout: 500 * ms, Vertices: quiet,
			Checkpoint: expired(4, 500*ms,
				acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
				acked(1, 0, 2, "Count", 30*ms, 20*ms, 0, 1*ms, 1*ms, 10),
				never(1, 1, 2, "Count"))},
		summary:    "Checkpoint 4 expired after 500ms: Count (2/2) never acknowledged, though no vertex is backpressured, so its snapshot did not finish in time.",
		cause:      diagnosis.CauseNoAck,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1, Subtask: 1}},
		advice: []string{"raise execution.checkpointing.timeout (now 500ms)"},
	}, {
		name: "slow, a backpressured source waits for the trigger",
		in: diagnosis.Input{Interval: 200 * ms, Vertices: slowSink,
			Checkpoint: completed(30, 900*ms,
				acked(0, 0, 1, "Source: Kafka", 900*ms, 880*ms, 0, 1*ms, 2*ms, 10),
				acked(1, 0, 1, "MySQL Sink", 850*ms, 10*ms, 0, 1*ms, 2*ms, 10))},
		summary:    "Checkpoint 30 took 900ms, with checkpoints every 200ms: Source: Kafka (1/1) spent 880ms of its 900ms (98%) waiting to take its snapshot, as the source was blocked by backpressure; the bottleneck is MySQL Sink, busy 99% of the time.",
		cause:      diagnosis.CauseBackpressure,
		bottleneck: 1, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 0}, {Vertex: 1}},
	}, {
		name: "slow, the acknowledgement took the time",
		in: diagnosis.Input{Interval: 100 * ms,
			Checkpoint: completed(13, 260*ms,
				acked(0, 0, 1, "Source: Gen", 260*ms, 5*ms, 0, 1*ms, 4*ms, 10))},
		summary:    "Checkpoint 13 took 260ms, with checkpoints every 100ms: the acknowledgement of Source: Gen (1/1) reached the coordinator 250ms after its snapshot was written (96% of its 260ms).",
		cause:      diagnosis.CauseAckDelay,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 0}},
		causes: []string{"unaccounted 250ms (96%)"},
		advice: []string{"The coordinator was slow to take acknowledgements"},
	}, {
		name: "slow, too fast for figures in whole milliseconds",
		in: diagnosis.Input{Interval: 10 * ms, SlowShare: 0.01,
			Checkpoint: completed(14, 2*ms,
				acked(0, 0, 1, "Source: Gen", 2*ms, 0, 0, 0, 0, 10))},
		summary:    "Checkpoint 14 took 2ms, with checkpoints every 10ms: Source: Gen (1/1) acknowledged last, after 2ms, too soon for its figures to tell where the time went.",
		cause:      diagnosis.CauseUnclear,
		bottleneck: -1, hot: [2]int{-1, -1},
		late: []checkpoint.SubtaskKey{{Vertex: 0}},
	}, {
		name: "declined: writing state failed",
		in: diagnosis.Input{Interval: time.Second,
			Checkpoint: failed(4, 80*ms, &checkpoint.DeclinedError{Checkpoint: 4, Task: checkpoint.SubtaskKey{Vertex: 1, Subtask: 0}, TaskName: "Count (1/2)",
				Cause: fmt.Errorf("%w: operator count: keyed state: write chk-4/count-0-keyed: no space left on device", checkpoint.ErrAsyncSnapshot)})},
		summary:    "Checkpoint 4 was declined by Count (1/2): asynchronous part of the snapshot failed: operator count: keyed state: write chk-4/count-0-keyed: no space left on device.",
		cause:      diagnosis.CauseDeclined,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 1}},
		causes: []string{"this counts towards execution.checkpointing.tolerable-failed-checkpoints"},
		advice: []string{"Check the checkpoint storage"},
	}, {
		name: "declined: task not ready",
		in: diagnosis.Input{Interval: time.Second,
			Checkpoint: failed(1, 5*ms, &checkpoint.DeclinedError{Checkpoint: 1, Task: checkpoint.SubtaskKey{Vertex: 0}, TaskName: "Source: Gen (1/1)",
				Cause: checkpoint.ErrTaskNotReady})},
		summary:    "Checkpoint 1 was declined by Source: Gen (1/1): task not ready (still starting or restoring).",
		cause:      diagnosis.CauseDeclined,
		bottleneck: -1, hot: [2]int{-1, -1},
		late:   []checkpoint.SubtaskKey{{Vertex: 0}},
		causes: []string{"Such declines do not count"},
		advice: []string{"Nothing to do if the next checkpoints complete."},
	}, {
		name: "metadata could not be written",
		in: diagnosis.Input{Interval: time.Second,
			Checkpoint: failed(6, 90*ms, &checkpoint.FinalizeError{Checkpoint: 6, Cause: errors.New("s3: PutObject: 503 Slow Down")})},
		summary:    "Checkpoint 6 failed although every subtask acknowledged: writing its metadata failed: s3: PutObject: 503 Slow Down.",
		cause:      diagnosis.CauseMetadata,
		bottleneck: -1, hot: [2]int{-1, -1},
		advice: []string{"Check the checkpoint storage"},
	}, {
		name: "another failure is quoted",
		in: diagnosis.Input{Interval: time.Second,
			Checkpoint: failed(2, 10*ms, errors.New("state too large for the heap\nsecond line"))},
		summary:    "Checkpoint 2 failed: state too large for the heap; second line.",
		cause:      diagnosis.CauseFailed,
		bottleneck: -1, hot: [2]int{-1, -1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := diagnosis.Explain(tt.in)
			if !ok {
				t.Fatal("nothing explained")
			}
			if f.Summary != tt.summary {
				t.Errorf("summary\n got %s\nwant %s", f.Summary, tt.summary)
			}
			if strings.Count(f.Summary, ". ") > 0 || !strings.HasSuffix(f.Summary, ".") {
				t.Errorf("summary is not one sentence: %s", f.Summary)
			}
			if f.Cause != tt.cause {
				t.Errorf("cause %q, want %q", f.Cause, tt.cause)
			}
			if f.Checkpoint != tt.in.Checkpoint.ID {
				t.Errorf("checkpoint %d, want %d", f.Checkpoint, tt.in.Checkpoint.ID)
			}
			if f.Bottleneck != tt.bottleneck || f.HotVertex != tt.hot[0] || f.HotSubtask != tt.hot[1] {
				t.Errorf("bottleneck %d, hot %d/%d; want %d, %d/%d", f.Bottleneck, f.HotVertex, f.HotSubtask, tt.bottleneck, tt.hot[0], tt.hot[1])
			}
			if !slices.Equal(f.Late, tt.late) {
				t.Errorf("late %v, want %v", f.Late, tt.late)
			}
			inOrder(t, "causes", f.Causes, tt.causes)
			inOrder(t, "advice", f.Advice, tt.advice)
			if t.Failed() || testing.Verbose() {
				t.Logf("summary: %s\ncauses:\n  %s\nadvice:\n  %s", f.Summary, strings.Join(f.Causes, "\n  "), strings.Join(f.Advice, "\n  "))
			}
		})
	}
}

// inOrder checks that each of want is a substring of a line of got, in
// order.
func inOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	i := 0
	for _, w := range want {
		for i < len(got) && !strings.Contains(got[i], w) {
			i++
		}
		if i == len(got) {
			t.Errorf("%s: no line (in order) contains %q", what, w)
			return
		}
		i++
	}
}

func TestExplainNothing(t *testing.T) {
	ok := completed(1, 400*ms, acked(0, 0, 1, "Source: Gen", 400*ms, 390*ms, 0, 1*ms, 1*ms, 10))
	savepoint := completed(2, 5*time.Second, acked(0, 0, 1, "Source: Gen", 5*time.Second, 10*ms, 0, 1*ms, 4900*ms, 10))
	savepoint.Kind = checkpoint.KindSavepoint
	inProgress := ok
	inProgress.Status = checkpoint.StatusInProgress
	for name, in := range map[string]diagnosis.Input{
		"fast enough":              {Checkpoint: ok, Interval: time.Second},
		"fast enough, share 0.3":   {Checkpoint: ok, Interval: 2 * time.Second, SlowShare: 0.3},
		"no interval":              {Checkpoint: ok},
		"slow savepoint":           {Checkpoint: savepoint, Interval: time.Second},
		"in progress":              {Checkpoint: inProgress, Interval: 100 * ms},
		"subsumed":                 {Checkpoint: failed(3, ms, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrSubsumed, By: 4}), Interval: time.Second},
		"tasks stopped":            {Checkpoint: failed(3, ms, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrTasksStopped}), Interval: time.Second},
		"coordinator shut down":    {Checkpoint: failed(3, ms, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrShutdown}), Interval: time.Second},
		"slow at share 0.5, not 1": {Checkpoint: ok, Interval: 500 * ms, SlowShare: 1},
	} {
		if f, ok := diagnosis.Explain(in); ok {
			t.Errorf("%s: explained: %s", name, f.Summary)
		}
	}
	// The default share is one half.
	if _, ok := diagnosis.Explain(diagnosis.Input{Checkpoint: ok, Interval: 700 * ms}); !ok {
		t.Error("400ms of a 700ms interval not explained")
	}
}

// TestExplainSkewNeedsEnoughRecords: a handful of records is no skew.
func TestExplainSkewNeedsEnoughRecords(t *testing.T) {
	vs := []graph.VertexStatus{
		vertex(0, "Source: Gen", nil, fig(0, 10, 0)),
		vertex(1, "Count", []string{"HASH 0"}, fig(9, 10, 0), fig(1, 10, 0)),
	}
	in := diagnosis.Input{Interval: 100 * ms, Vertices: vs, Checkpoint: completed(1, time.Second,
		acked(0, 0, 1, "Source: Gen", 10*ms, 5*ms, 0, 1*ms, 1*ms, 10),
		acked(1, 0, 2, "Count", time.Second, 990*ms, 0, 1*ms, 1*ms, 10),
		acked(1, 1, 2, "Count", 20*ms, 10*ms, 0, 1*ms, 1*ms, 10))}
	f, ok := diagnosis.Explain(in)
	if !ok || f.HotSubtask != -1 || strings.Contains(f.Summary, "skew") {
		t.Fatalf("ok %v, hot %d/%d: %s", ok, f.HotVertex, f.HotSubtask, f.Summary)
	}
	// By rate when the counters are small (a new attempt).
	vs[1].Subtasks[0].RecordsInPerSecond, vs[1].Subtasks[1].RecordsInPerSecond = 4000, 300
	f, _ = diagnosis.Explain(in)
	if f.HotVertex != 1 || f.HotSubtask != 0 {
		t.Fatalf("hot %d/%d by rate: %s %q", f.HotVertex, f.HotSubtask, f.Summary, f.Causes)
	}
	if want := "Subtask 1 of Count receives 93% of the records (4000/s of 4300/s), its siblings a median of 300/s: the keys are skewed."; !slices.Contains(f.Causes, want) {
		t.Fatalf("causes %q lack %q", f.Causes, want)
	}
}

package web

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
)

// /metrics speaks as Flink's PrometheusReporter (AbstractPrometheusReporter)
// by default (metrics.prometheus.names=flink): a metric is named "flink_",
// its scope's logical name with "_" between the parts, "_" and Flink's
// metric name (flink_taskmanager_job_task_numRecordsIn,
// flink_jobmanager_job_numRestarts), every character outside [a-zA-Z0-9:_]
// replaced by "_" in names and label values; its labels are the scope's
// variables without their angle brackets; and Flink's counters, gauges and
// meters are all Prometheus gauges, so no name carries _total. With
// metrics.prometheus.names=weir the same figures are weir_task_* and
// weir_job_*, labelled job_id, job_name, vertex_id, vertex_name,
// subtask_index, values unchanged. docs/rest-api.md maps them.

// tmID is the task manager's ID in the tm_id label, as taskmanager-id in
// the REST API's subtask answers: the embedded runtime's one task manager.
const tmID = "embedded"

// taskMetric is one metric of Flink's task scope.
type taskMetric struct {
	name  string // Flink's name; also Weir's after weir_task_, unless weir is set
	weir  string
	help  string
	value func(cluster.SubtaskStatus) float64
	// inputs: only for vertices with input channels (Flink's source tasks
	// have no currentInputWatermark); outputs: only for vertices with
	// network outputs (a sink sends no watermark on).
	inputs, outputs bool
}

// applies reports whether vertex vs has the metric; feeds is feeding's
// answer for the job.
func (m *taskMetric) applies(vs cluster.VertexStatus, feeds map[int]bool) bool {
	return (!m.inputs || len(vs.Inputs) > 0) && (!m.outputs || feeds[vs.ID])
}

// taskMetricNamed is the task metric of Flink's name name.
func taskMetricNamed(name string) *taskMetric {
	for i := range taskMetrics {
		if taskMetrics[i].name == name {
			return &taskMetrics[i]
		}
	}
	panic("web: no task metric " + name)
}

var taskMetrics = []taskMetric{
	{name: "numRecordsIn", help: "Records the subtask has received since its attempt started.",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.RecordsIn) }},
	{name: "numRecordsOut", help: "Records the subtask has emitted since its attempt started.",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.RecordsOut) }},
	{name: "numRecordsInPerSecond", help: "Records received per second over the last sampling second.",
		value: func(s cluster.SubtaskStatus) float64 { return s.RecordsInPerSecond }},
	{name: "numRecordsOutPerSecond", help: "Records emitted per second over the last sampling second.",
		value: func(s cluster.SubtaskStatus) float64 { return s.RecordsOutPerSecond }},
	{name: "busyTimeMsPerSecond", help: "Milliseconds per second the subtask was busy (neither idle nor backpressured).",
		value: func(s cluster.SubtaskStatus) float64 { return s.BusyTimeMsPerSecond }},
	{name: "backPressuredTimeMsPerSecond", help: "Milliseconds per second the subtask waited for output buffers.",
		value: func(s cluster.SubtaskStatus) float64 { return s.BackPressuredTimeMsPerSecond }},
	{name: "idleTimeMsPerSecond", help: "Milliseconds per second the subtask waited for input.",
		value: func(s cluster.SubtaskStatus) float64 { return s.IdleTimeMsPerSecond }},
	{name: "buffers.outPoolUsage", weir: "outPoolUsage",
		help:  "Share of the subtask's output buffers in use (0 to 1); near 1, its consumers do not keep up.",
		value: func(s cluster.SubtaskStatus) float64 { return s.OutPoolUsage }},
	{name: "currentInputWatermark", inputs: true,
		help: "The subtask's event time in ms since the epoch: the lowest watermark over its input channels " +
			"neither idle nor ended (Long.MIN_VALUE before the first, Long.MAX_VALUE once every input ended).",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.CurrentInputWatermark) }},
	{name: "currentOutputWatermark", outputs: true,
		help:  "The last watermark the subtask sent to its outputs, in ms since the epoch (Long.MIN_VALUE before the first).",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.CurrentOutputWatermark) }},
	{name: "numBytesIn", help: "Bytes of serialized records the subtask has received from the network since its attempt started.",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.BytesIn) }},
	{name: "numBytesOut", help: "Bytes of serialized records the subtask has sent to the network since its attempt started.",
		value: func(s cluster.SubtaskStatus) float64 { return float64(s.BytesOut) }},
}

// operatorMetric is a metric of Flink's operator scope that Weir has for
// the head (input) or the tail (output) operator of a chain: the chain's
// figure is the operator's there.
type operatorMetric struct {
	task *taskMetric
	head bool // the head operator's; else the tail's
}

var operatorMetrics = []operatorMetric{
	{taskMetricNamed("numRecordsIn"), true},
	{taskMetricNamed("numRecordsInPerSecond"), true},
	{taskMetricNamed("currentInputWatermark"), true},
	{taskMetricNamed("numRecordsOut"), false},
	{taskMetricNamed("numRecordsOutPerSecond"), false},
	{taskMetricNamed("currentOutputWatermark"), false},
}

// ownMetric is a metric of Flink's operator scope that an operator itself
// registers (operator.Metrics): exported for the operators that have it,
// in /metrics and, as "SUBTASK.OPERATOR.NAME", in the vertex metrics route.
type ownMetric struct {
	name, help string
	value      func(cluster.OperatorStatus) int64 // below 0: the operator has none
}

var ownMetrics = []ownMetric{
	{"numLateRecordsDropped", "Records a window operator or interval join dropped for coming too late " +
		"(after their windows were cleared, with no late side output taking them; or below the watermark).",
		func(o cluster.OperatorStatus) int64 { return o.LateRecordsDropped }},
	{"pendingRecords", "Records the source subtask has not fetched yet (FLIP-33); only where its reader knows them.",
		func(o cluster.OperatorStatus) int64 { return o.PendingRecords }},
	{"pendingBytes", "Bytes of input the source subtask has not fetched yet (FLIP-33); only where its reader knows them.",
		func(o cluster.OperatorStatus) int64 { return o.PendingBytes }},
}

// jobMetricHelp is the help of each job-scope metric, by Flink's name.
var jobMetricHelp = map[string]string{
	"lastCheckpointDuration":        "End-to-end duration of the latest completed checkpoint, in milliseconds.",
	"lastCheckpointSize":            "Bytes written by the latest completed checkpoint (its checkpointed size).",
	"lastCheckpointFullSize":        "Full state size of the latest completed checkpoint, in bytes.",
	"numberOfCompletedCheckpoints":  "Checkpoints and savepoints completed.",
	"numberOfFailedCheckpoints":     "Checkpoints and savepoints failed.",
	"numberOfInProgressCheckpoints": "Checkpoints and savepoints in progress.",
	"totalNumberOfCheckpoints":      "Checkpoints and savepoints triggered.",
	"numRestarts":                   "Times the job restarted after a failure.",
	"fullRestarts":                  "Times the job restarted after a failure (deprecated in Flink for numRestarts; the same figure).",
	"restartingTime": "Milliseconds the last restart took, from RESTARTING to RUNNING (or to the end), " +
		"or has taken so far while in progress; 0 before the first restart.",
	"uptime":   "Milliseconds the job has been running; 0 when it is not running.",
	"downtime": "Milliseconds since the failure the job is restarting from; 0 when it is not restarting.",
}

// metricNames is how a collector names its metrics: Flink's way or Weir's.
type metricNames struct {
	flink bool
	host  string

	task, operator, job map[string]*prometheus.Desc // by Flink's name
	own                 map[string]*prometheus.Desc // ownMetrics, by name
}

func newMetricNames(naming string) *metricNames {
	n := &metricNames{flink: naming != config.MetricNamesWeir,
		task: map[string]*prometheus.Desc{}, operator: map[string]*prometheus.Desc{}, job: map[string]*prometheus.Desc{},
		own: map[string]*prometheus.Desc{}}
	taskLabels := []string{"job_id", "job_name", "vertex_id", "vertex_name", "subtask_index"}
	jobLabels := []string{"job_id", "job_name"}
	taskPrefix, jobPrefix := "weir_task_", "weir_job_"
	if n.flink {
		host, _ := os.Hostname()
		n.host = n.labelValue(host)
		if n.host == "" {
			n.host = "localhost"
		}
		taskLabels = []string{"host", "tm_id", "job_id", "job_name", "task_id", "task_attempt_id", "task_name",
			"subtask_index", "task_attempt_num"}
		jobLabels = []string{"host", "job_id", "job_name"}
		taskPrefix, jobPrefix = "flink_taskmanager_job_task_", "flink_jobmanager_job_"
	}
	for _, m := range taskMetrics {
		name := m.name
		if !n.flink && m.weir != "" {
			name = m.weir
		}
		n.task[m.name] = prometheus.NewDesc(taskPrefix+promName(name), m.help, taskLabels, nil)
	}
	opLabels := append(taskLabels[:len(taskLabels):len(taskLabels)], "operator_id", "operator_name")
	opPrefix := "weir_operator_"
	if n.flink {
		opPrefix = "flink_taskmanager_job_task_operator_"
	}
	for _, m := range ownMetrics {
		n.own[m.name] = prometheus.NewDesc(opPrefix+m.name, m.help, opLabels, nil)
	}
	if n.flink {
		for _, m := range operatorMetrics {
			n.operator[m.task.name] = prometheus.NewDesc("flink_taskmanager_job_task_operator_"+promName(m.task.name),
				"The chain's "+m.task.name+", which is its "+map[bool]string{true: "head", false: "tail"}[m.head]+
					" operator's: "+m.task.help, opLabels, nil)
		}
	}
	for name, help := range jobMetricHelp {
		n.job[name] = prometheus.NewDesc(jobPrefix+name, help, jobLabels, nil)
	}
	return n
}

// labelValue is v as Flink's reporter writes a label value: every
// character outside [a-zA-Z0-9:_] replaced by "_" (its default
// filterLabelValueCharacters); Weir's naming keeps v.
func (n *metricNames) labelValue(v string) string {
	if !n.flink {
		return v
	}
	return unallowedChars.ReplaceAllString(v, "_")
}

var unallowedChars = regexp.MustCompile(`[^a-zA-Z0-9:_]`)

// promName is Flink's metric name as a Prometheus name, through the same
// filter as labelValue's: "buffers.outPoolUsage" is buffers_outPoolUsage.
func promName(name string) string {
	return unallowedChars.ReplaceAllString(name, "_")
}

// newRegistry returns a registry of its own (not the global one) with the
// jobs' metrics, named as naming (config.MetricsPrometheusNames) says, and
// the Go runtime's and process's.
func newRegistry(s *Server, naming string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(jobCollector{s, newMetricNames(naming)},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// jobCollector reads the jobs afresh on every scrape.
type jobCollector struct {
	s *Server
	n *metricNames
}

var _ prometheus.Collector = jobCollector{}

func (c jobCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range []map[string]*prometheus.Desc{c.n.task, c.n.operator, c.n.own, c.n.job} {
		for _, d := range m {
			ch <- d
		}
	}
}

func (c jobCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	gauge := func(d *prometheus.Desc, f float64, labels []string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, finite(f), labels...)
	}
	for _, j := range c.s.jobs {
		v := newJobView(j)
		jobID, jobName := n.labelValue(v.id), n.labelValue(v.name)
		attempt := strconv.Itoa(j.Restarts()) // a restart restarts every task
		feeds := feeding(v.vertices)
		for i, vs := range v.vertices {
			for _, st := range vs.Subtasks {
				index := strconv.Itoa(st.Subtask)
				l := []string{jobID, jobName, v.vids[i], n.labelValue(vs.Name), index}
				if n.flink {
					// Flink 1.20's ExecutionAttemptID: execution graph ID
					// (here the job's), vertex ID, subtask, attempt.
					attemptID := fmt.Sprintf("%s_%s_%s_%s", v.id, v.vids[i], index, attempt)
					l = []string{n.host, tmID, jobID, jobName, v.vids[i], attemptID, n.labelValue(vs.Name), index, attempt}
				}
				for i := range taskMetrics {
					if m := &taskMetrics[i]; m.applies(vs, feeds) {
						gauge(n.task[m.name], m.value(st), l)
					}
				}
				for k, op := range vs.Operators {
					if k >= len(st.Operators) {
						break
					}
					for _, m := range ownMetrics {
						if f := m.value(st.Operators[k]); f >= 0 {
							gauge(n.own[m.name], float64(f), append(l[:len(l):len(l)], VertexID(op.UID), n.labelValue(op.Name)))
						}
					}
				}
				if !n.flink || len(vs.Operators) == 0 {
					continue
				}
				for _, m := range operatorMetrics {
					op := vs.Operators[len(vs.Operators)-1]
					if m.head {
						op = vs.Operators[0]
					}
					if !m.task.applies(vs, feeds) {
						continue
					}
					gauge(n.operator[m.task.name], m.task.value(st), append(l[:len(l):len(l)], VertexID(op.UID), n.labelValue(op.Name)))
				}
			}
		}
		job := []string{jobID, jobName}
		if n.flink {
			job = []string{n.host, jobID, jobName}
		}
		for _, m := range jobMetrics(j, v) {
			gauge(n.job[m.name], m.value, job)
		}
		gauge(n.job["downtime"], downtime(j, v), job)
	}
}

// feeding is the IDs of the vertices with network outputs: those some
// vertex reads from.
func feeding(vs []cluster.VertexStatus) map[int]bool {
	out := map[int]bool{}
	for _, v := range vs {
		for _, in := range v.Inputs {
			out[in.FromVertex] = true
		}
	}
	return out
}

// downtime is Flink's downtime gauge: while the job restarts, the
// milliseconds since the failure it restarts from; else 0.
func downtime(j Job, v *jobView) float64 {
	if v.state != cluster.StateRestarting {
		return 0
	}
	ex := j.Exceptions()
	if len(ex) == 0 {
		return 0
	}
	return math.Max(0, float64(v.now.Sub(ex[len(ex)-1].Time).Milliseconds()))
}

// restartTimer is a Job that knows how long its last restart took
// (cluster.JobInfo); for another, restartingTime is 0.
type restartTimer interface {
	RestartingTime(now time.Time) time.Duration
}

var _ restartTimer = (*cluster.JobInfo)(nil)

// jobMetric is one job-scope metric: its Flink name (the ID in
// GET /jobs/metrics, and the Prometheus name behind flink_jobmanager_job_
// or weir_job_) and its value.
type jobMetric struct {
	name  string
	value float64
}

// jobMetrics are the job-scope metrics of j, whose view is v: the restarts
// and uptime always; the checkpoint counts only when the job checkpoints,
// and the lastCheckpoint* ones once a checkpoint or savepoint completed.
func jobMetrics(j Job, v *jobView) []jobMetric {
	uptime := 0.0
	if v.state == cluster.StateRunning && !v.start.IsZero() {
		uptime = float64(time.Since(v.start).Milliseconds())
	}
	var restarting time.Duration
	if rt, ok := j.(restartTimer); ok {
		restarting = rt.RestartingTime(v.now)
	}
	ms := []jobMetric{
		{"numRestarts", float64(j.Restarts())},
		{"fullRestarts", float64(j.Restarts())},
		{"restartingTime", float64(restarting.Milliseconds())},
		{"uptime", uptime},
	}
	if !j.CheckpointConfig().Enabled {
		return ms
	}
	st, _ := j.CheckpointStats()
	ms = append(ms,
		jobMetric{"numberOfCompletedCheckpoints", float64(st.Completed)},
		jobMetric{"numberOfFailedCheckpoints", float64(st.Failed)},
		jobMetric{"totalNumberOfCheckpoints", float64(st.Triggered)},
		jobMetric{"numberOfInProgressCheckpoints", float64(st.InProgress)})
	if last := latestCompleted(st); last != nil {
		ms = append(ms,
			jobMetric{"lastCheckpointDuration", float64(last.EndToEnd.Milliseconds())},
			jobMetric{"lastCheckpointSize", float64(last.CheckpointedSize)},
			jobMetric{"lastCheckpointFullSize", float64(last.StateSize)})
	}
	return ms
}

// latestCompleted is the newer of the latest completed checkpoint and
// savepoint, as Flink's lastCheckpoint* metrics count both.
func latestCompleted(st checkpoint.Stats) *checkpoint.CheckpointStats {
	c, s := st.LatestCompleted, st.LatestSavepoint
	if c == nil || (s != nil && s.ID > c.ID) {
		return s
	}
	return c
}

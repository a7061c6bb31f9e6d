package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/cluster"
)

// Metric names keep Flink's metric names after a weir_task_ or weir_job_
// prefix (Flink's Prometheus reporter writes
// flink_taskmanager_job_task_numRecordsIn and
// flink_jobmanager_job_numRestarts); docs/rest-api.md maps them.
var (
	taskLabels = []string{"job_id", "job_name", "vertex_id", "vertex_name", "subtask_index"}
	jobLabels  = []string{"job_id", "job_name"}

	descRecordsIn = prometheus.NewDesc("weir_task_numRecordsIn",
		"Records the subtask has received since its attempt started.", taskLabels, nil)
	descRecordsOut = prometheus.NewDesc("weir_task_numRecordsOut",
		"Records the subtask has emitted since its attempt started.", taskLabels, nil)
	descRecordsInRate = prometheus.NewDesc("weir_task_numRecordsInPerSecond",
		"Records received per second over the last sampling second.", taskLabels, nil)
	descRecordsOutRate = prometheus.NewDesc("weir_task_numRecordsOutPerSecond",
		"Records emitted per second over the last sampling second.", taskLabels, nil)
	descBusy = prometheus.NewDesc("weir_task_busyTimeMsPerSecond",
		"Milliseconds per second the subtask was busy (neither idle nor backpressured).", taskLabels, nil)
	descBackPressured = prometheus.NewDesc("weir_task_backPressuredTimeMsPerSecond",
		"Milliseconds per second the subtask waited for output buffers.", taskLabels, nil)
	descIdle = prometheus.NewDesc("weir_task_idleTimeMsPerSecond",
		"Milliseconds per second the subtask waited for input.", taskLabels, nil)
	descOutPool = prometheus.NewDesc("weir_task_outPoolUsage",
		"Share of the subtask's output buffers in use (0 to 1); near 1, its consumers do not keep up.", taskLabels, nil)

	descLastDuration = prometheus.NewDesc("weir_job_lastCheckpointDuration",
		"End-to-end duration of the latest completed checkpoint, in milliseconds.", jobLabels, nil)
	descLastSize = prometheus.NewDesc("weir_job_lastCheckpointSize",
		"Bytes written by the latest completed checkpoint (its checkpointed size).", jobLabels, nil)
	descLastFullSize = prometheus.NewDesc("weir_job_lastCheckpointFullSize",
		"Full state size of the latest completed checkpoint, in bytes.", jobLabels, nil)
	descCompleted = prometheus.NewDesc("weir_job_numberOfCompletedCheckpoints",
		"Checkpoints and savepoints completed.", jobLabels, nil)
	descFailed = prometheus.NewDesc("weir_job_numberOfFailedCheckpoints",
		"Checkpoints and savepoints failed.", jobLabels, nil)
	descInProgress = prometheus.NewDesc("weir_job_numberOfInProgressCheckpoints",
		"Checkpoints and savepoints in progress.", jobLabels, nil)
	descTotal = prometheus.NewDesc("weir_job_totalNumberOfCheckpoints",
		"Checkpoints and savepoints triggered.", jobLabels, nil)
	descRestarts = prometheus.NewDesc("weir_job_numRestarts",
		"Times the job restarted after a failure.", jobLabels, nil)
	descUptime = prometheus.NewDesc("weir_job_uptime",
		"Milliseconds the job has been running; 0 when it is not running.", jobLabels, nil)
)

// newRegistry returns a registry of its own (not the global one) with the
// jobs' metrics and the Go runtime's and process's.
func newRegistry(s *Server) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(jobCollector{s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// jobCollector reads the jobs afresh on every scrape.
type jobCollector struct{ s *Server }

var _ prometheus.Collector = jobCollector{}

func (jobCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descRecordsIn, descRecordsOut, descRecordsInRate, descRecordsOutRate, descBusy, descBackPressured, descIdle, descOutPool,
		descLastDuration, descLastSize, descLastFullSize, descCompleted, descFailed, descInProgress, descTotal, descRestarts, descUptime,
	} {
		ch <- d
	}
}

func (c jobCollector) Collect(ch chan<- prometheus.Metric) {
	for _, j := range c.s.jobs {
		v := newJobView(j)
		job := []string{v.id, v.name}
		gauge := func(d *prometheus.Desc, f float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, finite(f), labels...)
		}
		for i, vs := range v.vertices {
			for _, st := range vs.Subtasks {
				l := []string{v.id, v.name, v.vids[i], vs.Name, strconv.Itoa(st.Subtask)}
				ch <- prometheus.MustNewConstMetric(descRecordsIn, prometheus.CounterValue, float64(st.RecordsIn), l...)
				ch <- prometheus.MustNewConstMetric(descRecordsOut, prometheus.CounterValue, float64(st.RecordsOut), l...)
				gauge(descRecordsInRate, st.RecordsInPerSecond, l...)
				gauge(descRecordsOutRate, st.RecordsOutPerSecond, l...)
				gauge(descBusy, st.BusyTimeMsPerSecond, l...)
				gauge(descBackPressured, st.BackPressuredTimeMsPerSecond, l...)
				gauge(descIdle, st.IdleTimeMsPerSecond, l...)
				gauge(descOutPool, st.OutPoolUsage, l...)
			}
		}
		for _, m := range jobMetrics(j, v) {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, finite(m.value), job...)
		}
	}
}

// jobMetric is one job-scope metric: its Flink name (the ID in
// GET /jobs/metrics, and the Prometheus name behind weir_job_), its
// Prometheus description and type, and its value.
type jobMetric struct {
	name  string
	desc  *prometheus.Desc
	kind  prometheus.ValueType
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
	ms := []jobMetric{
		{"numRestarts", descRestarts, prometheus.GaugeValue, float64(j.Restarts())},
		{"uptime", descUptime, prometheus.GaugeValue, uptime},
	}
	if !j.CheckpointConfig().Enabled {
		return ms
	}
	st, _ := j.CheckpointStats()
	ms = append(ms,
		jobMetric{"numberOfCompletedCheckpoints", descCompleted, prometheus.CounterValue, float64(st.Completed)},
		jobMetric{"numberOfFailedCheckpoints", descFailed, prometheus.CounterValue, float64(st.Failed)},
		jobMetric{"totalNumberOfCheckpoints", descTotal, prometheus.CounterValue, float64(st.Triggered)},
		jobMetric{"numberOfInProgressCheckpoints", descInProgress, prometheus.GaugeValue, float64(st.InProgress)})
	if last := latestCompleted(st); last != nil {
		ms = append(ms,
			jobMetric{"lastCheckpointDuration", descLastDuration, prometheus.GaugeValue, float64(last.EndToEnd.Milliseconds())},
			jobMetric{"lastCheckpointSize", descLastSize, prometheus.GaugeValue, float64(last.CheckpointedSize)},
			jobMetric{"lastCheckpointFullSize", descLastFullSize, prometheus.GaugeValue, float64(last.StateSize)})
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

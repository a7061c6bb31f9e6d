package config

// Values of MetricsPrometheusNames.
const (
	// MetricNamesFlink names /metrics as Flink's PrometheusReporter does.
	MetricNamesFlink = "flink"
	// MetricNamesWeir names /metrics with Weir's own prefixes.
	MetricNamesWeir = "weir"
)

// Metrics options.
var (
	// MetricsPrometheusNames chooses the names and labels /metrics writes.
	MetricsPrometheusNames = EnumOption("metrics.prometheus.names", MetricNamesFlink,
		[]string{MetricNamesFlink, MetricNamesWeir}, nil,
		"Weir-only (Flink's PrometheusReporter has one naming): the names and labels of the metrics the REST "+
			"server writes at /metrics. \"flink\" (the default) writes them as Flink's PrometheusReporter does, "+
			"flink_taskmanager_job_task_numRecordsIn with labels job_id, job_name, task_id, task_name, "+
			"subtask_index, task_attempt_num, task_attempt_id, tm_id and host, flink_jobmanager_job_numRestarts "+
			"with job_id, job_name and host, label values with every character outside [a-zA-Z0-9:_] replaced "+
			"by _, so that dashboards and alerts written for Flink read Weir's. \"weir\" writes Weir's own "+
			"names, weir_task_numRecordsIn with labels job_id, job_name, vertex_id, vertex_name and "+
			"subtask_index, and weir_job_numRestarts with job_id and job_name, label values unchanged.")
)

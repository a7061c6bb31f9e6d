package api

// AggregatedMetric is one entry of GET /jobs/metrics, as Flink's
// AggregatedMetric: without ?get= only the ID of a metric some job has;
// with it, the aggregates ?agg= asked for (all five by default) over the
// jobs that have the metric. The body is a JSON array of these, as Flink's
// AggregatedMetricsResponseBody.
type AggregatedMetric struct {
	ID   string   `json:"id"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Avg  *float64 `json:"avg,omitempty"`
	Sum  *float64 `json:"sum,omitempty"`
	Skew *float64 `json:"skew,omitempty"` // percent: mean absolute deviation over the mean, at most 100
}

// Metric is one metric of a metric collection, as Flink's Metric: its ID
// and, when asked for, its value as text. GET
// /jobs/:jobid/vertices/:vertexid/watermarks answers a JSON array of these,
// as Flink's MetricCollectionResponseBody.
type Metric struct {
	ID    string  `json:"id"`
	Value *string `json:"value,omitempty"`
}

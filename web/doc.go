// Package web serves what Weir shows about its running jobs over HTTP: a
// REST API shaped after Apache Flink's (same paths, same JSON field names
// where the meaning is the same, so that habits and scripts carry over),
// Prometheus metrics at /metrics, and the embedded dashboard at /.
//
// A Server reads jobs through the small Job interface, which *cluster.JobInfo
// implements; every request and every scrape reads the jobs' live figures
// afresh, so nothing is cached but checkpoint diagnoses of ended
// checkpoints. Two requests change something: PATCH
// /jobs/:jobid?mode=cancel, refused with 403 when web.cancel.enable is
// false, and POST /jobs/:jobid/checkpoints, which triggers a checkpoint
// through the job manager (CheckpointTriggerer) and is followed with GET
// /jobs/:jobid/checkpoints/:triggerid.
//
// No request path ever reaches the file system: the API is routed by hand,
// the dashboard's assets are embedded in the binary, and a path holding a
// dot segment, an encoded slash or backslash, or a NUL is refused with 400
// before any routing (Flink's CVE-2020-17519 was a path traversal through
// its REST API).
//
// When a job ends, Archive renders its GET routes through the same
// handlers, in-process, and WriteArchive stores them as Flink's job archive
// (one JSON file per job, a list of {path, json}); HistoryServer serves
// such archives with the dashboard, as Flink's HistoryServer, answering a
// job's paths from its archive by exact lookup, never by a file name taken
// from the request (docs/history-server.md).
//
// The JSON bodies are the types of package web/api, which the weir
// command's client decodes too; a failed checkpoint carries a code for its
// cause (FailureReason, ReasonSentinel) so that no client reads the words of
// its message.
//
// A Server is safe for concurrent use. Start runs it on its own goroutine,
// which Shutdown stops and joins. The endpoints, their fields and the
// metric names, with their Flink equivalents, are in docs/rest-api.md.
package web

// Package windowwordcount is the windowed word count, after Flink's
// WindowWordCount example: each input line is "<epoch-milliseconds>
// <words...>", event time is that timestamp, and every window firing
// writes one line per word of the window, "window_start_ms,window_end_ms,
// word,count" (the word quoted as encoding/csv quotes it when it holds a
// comma or a double quote). Windows are tumbling, sliding or session
// windows in event time; records may be out of order by --out-of-orderness; a window keeps
// its state for --allowed-lateness after its end, and a record arriving
// then fires it again with the updated count (a late firing writes the
// word's line again). Records later than that go to the late output, one
// "<epoch-milliseconds> <word>" line per word, never silently away.
//
// Watermarks trail the highest timestamp seen by the out-of-orderness
// (plus 1 ms, as Flink's bounded out-of-orderness strategy), emitted every
// pipeline.auto-watermark-interval; with that interval set to 0 the job
// emits its watermark with every record that raises it instead, so that
// which records are late depends only on the input order (with one source
// subtask).
//
// The job's operators carry fixed UIDs (source, parse, timestamps,
// window, sink, late-format, late-sink) so that its checkpoints stay
// restorable across versions of this program.
package windowwordcount

package config

// Source options.
var (
	// SourceMaxRecordSize bounds the size of one record read by a source
	// that splits its input at a delimiter.
	SourceMaxRecordSize = MemorySizeOption("source.max-record-size", 64<<20,
		"Weir-only (Flink's file and socket sources have no such bound): the longest record, in bytes "+
			"without its delimiter, that the file source (a line) and the socket source (a delimited record) "+
			"accept. A longer one fails the task with the source, the record's offset and its size, instead "+
			"of holding it in memory (a 200 MiB line from a socket peer took a process to 3.4 GB). A file's "+
			"over-long line fails the job without restarts (a restart would read the same line); a socket's "+
			"is restarted under the restart strategy (the record is not replayed).",
		SizeAtLeast(1))
)

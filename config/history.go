package config

import (
	"strings"
	"time"
)

// The job archive and the history server, with the keys and defaults of
// Flink's JobManagerOptions.ARCHIVE_DIR and HistoryServerOptions.
var (
	// JobManagerArchiveDir is where the job manager writes the archive of
	// every job that ended; unset: no archive.
	JobManagerArchiveDir = OptionalStringOption("jobmanager.archive.fs.dir",
		"Directory the job manager writes the archive of every job that ends (finished, failed or canceled) to: "+
			"one JSON file per job, named by the job's ID, holding the REST API's answers about the job "+
			"(Flink's archive format, a list of {path, json}). `weir history-server` serves them. Unset (the "+
			"default): no archive. A local path or file:// URL. From Flink's JobManagerOptions.ARCHIVE_DIR.",
		NotEmpty)

	// HistoryServerArchiveDirs are the directories the history server
	// reads archives from, comma-separated.
	HistoryServerArchiveDirs = OptionalStringOption("historyserver.archive.fs.dir",
		"Comma-separated list of directories `weir history-server` reads job archives from (those "+
			"jobmanager.archive.fs.dir names). Required by the history server. From Flink's "+
			"HistoryServerOptions.HISTORY_SERVER_ARCHIVE_DIRS.",
		NotEmpty)

	// HistoryServerRefreshInterval is how often the history server reads
	// its directories again.
	HistoryServerRefreshInterval = DurationOption("historyserver.archive.fs.refresh-interval", 10*time.Second,
		"How often `weir history-server` reads historyserver.archive.fs.dir again for new, changed and removed "+
			"archives. Default from Flink's HistoryServerOptions.HISTORY_SERVER_ARCHIVE_REFRESH_INTERVAL.",
		AtLeast(time.Millisecond))

	// HistoryServerWebAddress is the address the history server binds to.
	HistoryServerWebAddress = StringOption("historyserver.web.address", "127.0.0.1",
		"Address `weir history-server` serves its dashboard and REST API on, e.g. 0.0.0.0 for all interfaces. "+
			"Weir's default is loopback, as for rest.address; Flink's HistoryServerOptions.HISTORY_SERVER_WEB_ADDRESS "+
			"has none.",
		NotEmpty)

	// HistoryServerWebPort is the history server's port; 0 picks a free
	// port.
	HistoryServerWebPort = IntOption("historyserver.web.port", 8082,
		"Port `weir history-server` serves on; 0 picks a free port (the log line \"history server\" names it). "+
			"Default from Flink's HistoryServerOptions.HISTORY_SERVER_WEB_PORT.",
		Between(0, 65535))

	// HistoryServerRetainedJobs bounds how many archives of each directory
	// the history server serves.
	HistoryServerRetainedJobs = IntOption("historyserver.archive.retained-jobs", -1,
		"How many archives of each directory of historyserver.archive.fs.dir `weir history-server` serves: the "+
			"newest by modification time; -1 (the default): all. 0 and values below -1 are refused, as in Flink's "+
			"HistoryServerOptions.HISTORY_SERVER_RETAINED_JOBS. Unlike Flink, Weir does not delete the older "+
			"archives: it only leaves them out.",
		func(n int) error {
			if n == 0 || n < -1 {
				return parseError("must be -1 (no limit) or positive")
			}
			return nil
		})
)

// HistoryServerDirs is historyserver.archive.fs.dir split at commas, blank
// items dropped; nil when unset.
func HistoryServerDirs(c *Config) []string {
	v, ok := Lookup(c, HistoryServerArchiveDirs)
	if !ok {
		return nil
	}
	var dirs []string
	for _, d := range strings.Split(v, ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

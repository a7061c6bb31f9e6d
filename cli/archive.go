package cli

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/internal/fileurl"
	"github.com/weirstream/weir/web"
)

// archiveDir is the local directory jobmanager.archive.fs.dir names, ""
// when it is unset. Only a local path or a file:// URL is accepted: the
// archive is refused before the job runs rather than lost after it ended.
func archiveDir(cfg *config.Config) (string, error) {
	dir, ok := config.Lookup(cfg, config.JobManagerArchiveDir)
	if !ok {
		return "", nil
	}
	return LocalDir(config.JobManagerArchiveDir.Key(), dir)
}

// LocalDir is the local path of dir, a path or a file:// URL, which option
// key names; any other URL is refused with one line that says so.
func LocalDir(key, dir string) (string, error) {
	if !strings.Contains(dir, "://") {
		return dir, nil
	}
	u, err := url.Parse(dir)
	if err == nil && u.Scheme == "file" {
		if p, ok := fileurl.Path(u); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s %q: want a local directory or a file:// URL (job archives are not written to object storage yet)", key, dir)
}

// archive writes the archive of env's job, which has ended, to dir
// (web.WriteArchive), for `weir history-server`. Only a job that finished,
// failed or was canceled is archived; one refused before it ran is not.
// A failure is one warning: it never changes the job's result.
func (f *Flags) archive(env *weir.Environment, dir string, logger *slog.Logger) {
	if dir == "" {
		return
	}
	job := env.Job()
	switch job.State() {
	case weir.StateFinished, weir.StateFailed, weir.StateCanceled:
	default:
		return
	}
	version := f.Version
	if version == "" {
		version = Version()
	}
	path, err := web.WriteArchive(dir, web.Options{Config: env.Config(), Version: version, Logger: logger}, job)
	if err != nil {
		logger.Warn("job archive not written; the job's result stands", "dir", dir, "err", err)
		return
	}
	logger.Info("job archived for the history server", "job", job.ID(), "path", path)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/web"
)

// newHistoryServerCmd is `weir history-server`, Flink's HistoryServer: it
// serves the archives jobs wrote to jobmanager.archive.fs.dir with the
// dashboard, until Ctrl-C or SIGTERM.
func newHistoryServerCmd(stderr io.Writer) *cobra.Command {
	var f cli.Flags
	cmd := &cobra.Command{
		Use:   "history-server",
		Short: "Serve the dashboard and REST API of ended jobs from their archives",
		Long: "Serve the dashboard and REST API of jobs that ended, from the archives `weir run` writes when " +
			"jobmanager.archive.fs.dir is set (one file per job, named by its ID), as Flink's HistoryServer does. " +
			"It reads historyserver.archive.fs.dir (comma-separated directories) every " +
			"historyserver.archive.fs.refresh-interval and serves on historyserver.web.address:historyserver.web.port " +
			"(127.0.0.1:8082; port 0 picks a free one, which the log line \"history server\" names) until Ctrl-C.\n\n" +
			"  weir run wordcount --input README.md --output discard -D jobmanager.archive.fs.dir=/tmp/weir-jobs\n" +
			"  weir history-server -D historyserver.archive.fs.dir=/tmp/weir-jobs",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			logger, err := f.Logger(stderr)
			if err != nil {
				return err
			}
			return runHistoryServer(cmd.Context(), cfg, logger)
		},
	}
	f.RegisterConfig(cmd)
	return cmd
}

// runHistoryServer serves until ctx ends.
func runHistoryServer(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	raw := config.HistoryServerDirs(cfg)
	if len(raw) == 0 {
		return cli.Usage(fmt.Errorf("%s is not set: give the directories jobs archive to, e.g. -D %s=/tmp/weir-jobs "+
			"(the jobs' -D %s=/tmp/weir-jobs)", config.HistoryServerArchiveDirs.Key(), config.HistoryServerArchiveDirs.Key(),
			config.JobManagerArchiveDir.Key()))
	}
	var dirs []string
	for _, d := range raw {
		local, err := cli.LocalDir(config.HistoryServerArchiveDirs.Key(), d)
		if err != nil {
			return cli.Usage(err)
		}
		if st, err := os.Stat(local); err == nil && !st.IsDir() {
			return cli.Usage(fmt.Errorf("%s: %s is a file, not a directory of job archives", config.HistoryServerArchiveDirs.Key(), local))
		}
		dirs = append(dirs, local)
	}
	host := config.Get(cfg, config.HistoryServerWebAddress)
	addr := net.JoinHostPort(host, strconv.Itoa(config.Get(cfg, config.HistoryServerWebPort)))
	hs := web.NewHistoryServer(web.HistoryOptions{
		Dirs:     dirs,
		Refresh:  config.Get(cfg, config.HistoryServerRefreshInterval),
		Retained: config.Get(cfg, config.HistoryServerRetainedJobs),
		Host:     host,
		Version:  versionString(),
		Logger:   logger,
	})
	if err := hs.Start(addr); err != nil {
		return fmt.Errorf("cannot serve on %s: %w (set %s, 0 for any free port, or %s)", addr, err,
			config.HistoryServerWebPort.Key(), config.HistoryServerWebAddress.Key())
	}
	logger.Info("history server", "url", hs.URL(), "dirs", strings.Join(dirs, ","), "jobs", hs.Jobs())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("history server shut down with requests unfinished", "err", err)
	}
	return errors.New("history server stopped")
}

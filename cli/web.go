package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/web"
)

// checkWeb refuses a malformed --web, or --web with --no-web.
func (f *Flags) checkWeb() error {
	if f.Web == "" {
		return nil
	}
	if f.NoWeb {
		return Usage(errors.New("--web and --no-web exclude each other"))
	}
	_, port, err := net.SplitHostPort(f.Web)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return Usage(fmt.Errorf("--web %q: want HOST:PORT, e.g. 127.0.0.1:8081 (port 0: any free port)", f.Web))
	}
	return nil
}

// startWeb serves the REST API, metrics and dashboard of env's job, unless
// --no-web, until stop is called. An address that cannot be listened on is
// one warning: the job runs without them. A REST token that cannot be read
// (rest.auth.token-file) is an error: nothing is served unprotected.
func (f *Flags) startWeb(env *weir.Environment, logger *slog.Logger) (stop func(), err error) {
	if f.NoWeb {
		return func() {}, nil
	}
	token, err := config.RestAuthTokenValue(env.Config())
	if err != nil {
		return nil, err
	}
	addr := f.Web
	if addr == "" {
		addr = web.ListenAddress(env.Config())
	}
	version := f.Version
	if version == "" {
		version = Version()
	}
	srv := web.NewServer(web.Options{Config: env.Config(), Version: version, Logger: logger, AuthToken: token, TaskManagers: f.taskManagers}, env.Job())
	if err := srv.Start(addr); err != nil {
		logger.Warn("web dashboard not started; the job runs without it", "addr", addr, "err", err)
		return func() {}, nil
	}
	logger.Info("web dashboard", "url", srv.URL())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			logger.Warn("web dashboard shut down with requests unfinished", "err", err)
		}
	}, nil
}

package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
)

// Job is what the server reads of a job; *cluster.JobInfo implements it. All
// methods must be safe for concurrent use.
type Job interface {
	ID() string
	Name() string
	State() string
	Times() (start, end time.Time)
	Restarts() int
	Exceptions() []cluster.Exception
	Vertices() []cluster.VertexStatus
	CheckpointStats() (checkpoint.Stats, bool)
	CheckpointConfig() cluster.CheckpointConfig
	// Cancel stops the running job; it wraps cluster.ErrNotRunning when the
	// job has ended.
	Cancel() error
}

var _ Job = (*cluster.JobInfo)(nil)

// Options configure a Server.
type Options struct {
	// Config supplies rest.address (the host in URL when bound to all
	// interfaces) and web.cancel.enable; nil means the defaults.
	Config *config.Config
	// Version is reported as weir-version by /overview and /config.
	Version string
	// Logger receives the server's errors; nil means slog.Default().
	Logger *slog.Logger
	// AuthToken, when not empty, is the bearer token every request that
	// changes something (PATCH /jobs/JOBID) must carry, as
	// "Authorization: Bearer TOKEN"; requests that only read (GET, HEAD)
	// stay open. The command takes it from rest.auth.token or
	// rest.auth.token-file (config.RestAuthTokenValue).
	AuthToken string
	// TaskManagers, for a cluster's job manager, lists the registered
	// task managers (GET /taskmanagers); nil for the embedded local run.
	TaskManagers func() []cluster.TaskManagerInfo
}

// Server serves the REST API, /metrics and the dashboard for a fixed set of
// jobs.
type Server struct {
	jobs          []Job
	version       string
	cancelEnabled bool
	authToken     string
	restAddress   string
	logger        *slog.Logger
	handler       http.Handler
	registry      *prometheus.Registry
	diagnoses     diagnosisCache
	// listTaskManagers is Options.TaskManagers.
	listTaskManagers func() []cluster.TaskManagerInfo

	mu struct {
		sync.Mutex
		// srv and ln are set by Start and never change afterwards; done is
		// closed when the serving goroutine has returned.
		srv  *http.Server
		ln   net.Listener
		done chan struct{}
	}
}

// NewServer returns a server for jobs; it listens on nothing until Start.
func NewServer(o Options, jobs ...Job) *Server {
	cfg := o.Config
	if cfg == nil {
		cfg = config.New()
	}
	s := &Server{
		jobs:          jobs,
		version:       o.Version,
		cancelEnabled: config.Get(cfg, config.WebCancelEnable),
		authToken:     o.AuthToken,
		restAddress:   config.Get(cfg, config.RestAddress),
		logger:        o.Logger,

		listTaskManagers: o.TaskManagers,
	}
	if s.version == "" {
		s.version = "dev"
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.registry = newRegistry(s, config.Get(cfg, config.MetricsPrometheusNames))
	s.handler = s.routes()
	return s
}

// ListenAddress is where the server listens by configuration:
// rest.bind-address (else rest.address) and rest.port.
func ListenAddress(cfg *config.Config) string {
	if cfg == nil {
		cfg = config.New()
	}
	return net.JoinHostPort(config.EffectiveRestBindAddress(cfg), strconv.Itoa(config.Get(cfg, config.RestPort)))
}

// Handler is the server's whole HTTP surface, for use with httptest or a
// server of the caller's own.
func (s *Server) Handler() http.Handler { return s.handler }

// ErrStarted is returned by Start on a server that was started before.
var ErrStarted = errors.New("web: server already started")

// Start listens on addr (HOST:PORT; port 0 picks a free port) and serves on
// a goroutine of its own until Shutdown. It fails at once when addr cannot
// be listened on. Listening on an address other than loopback logs the
// address and a warning when anyone who can reach it could cancel the job
// (cancel enabled, no AuthToken).
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.srv != nil {
		return ErrStarted
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.warnExposed(addr, ln.Addr())
	done := make(chan struct{})
	s.mu.srv, s.mu.ln, s.mu.done = srv, ln, done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("web server stopped", "err", err)
		}
	}()
	return nil
}

// warnExposed logs, for a listener reachable from other hosts, where it
// listens and who may do what there.
// asked is the address given to Start, whose host names the interface
// better than the listener's ("0.0.0.0" rather than "[::]").
func (s *Server) warnExposed(asked string, addr net.Addr) {
	a, ok := addr.(*net.TCPAddr)
	if !ok || a.IP.IsLoopback() {
		return
	}
	where := a.String()
	if host, _, err := net.SplitHostPort(asked); err == nil && a.IP.IsUnspecified() {
		if host == "" {
			host = "0.0.0.0"
		}
		where = net.JoinHostPort(host, strconv.Itoa(a.Port)) + " (all interfaces)"
	}
	switch {
	case s.cancelEnabled && s.authToken == "":
		s.logger.Warn("REST API reachable from other hosts: anyone who can reach it can cancel the job; "+
			"require a token with -D rest.auth.token-file=FILE (weir cancel --token-file FILE sends it), "+
			"disable cancel with -D web.cancel.enable=false, or bind to 127.0.0.1",
			"addr", where)
	case s.cancelEnabled:
		s.logger.Info("REST API reachable from other hosts: cancel requires the bearer token; reading is open",
			"addr", where)
	default:
		s.logger.Info("REST API reachable from other hosts: cancel is disabled; reading is open", "addr", where)
	}
}

// Addr is the address the server listens on; nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.ln == nil {
		return nil
	}
	return s.mu.ln.Addr()
}

// URL is the dashboard's URL, "http://127.0.0.1:8081/"; when the server
// listens on all interfaces its host is rest.address. It is "" before
// Start.
func (s *Server) URL() string {
	a, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = s.restAddress
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(a.Port)))
}

// Shutdown stops the server gracefully: it stops listening, waits for the
// requests in flight until ctx ends, then closes what is left and joins the
// serving goroutine. It returns ctx's error if requests were cut short, and
// nil on a server never started.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.mu.srv, s.mu.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	<-done
	return err
}

// job finds a job by ID.
func (s *Server) job(id string) Job {
	for _, j := range s.jobs {
		if j.ID() == id {
			return j
		}
	}
	return nil
}

package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weirstream/weir/web/api"
)

// HistoryOptions configure a HistoryServer.
type HistoryOptions struct {
	// Dirs are the local directories archives are read from
	// (historyserver.archive.fs.dir).
	Dirs []string
	// Refresh is how often the directories are read again
	// (historyserver.archive.fs.refresh-interval); 0 means 10 s.
	Refresh time.Duration
	// Retained is how many archives of each directory are served, the
	// newest by modification time (historyserver.archive.retained-jobs);
	// 0 or less: all.
	Retained int
	// Host names the server in URL when it listens on all interfaces.
	Host string
	// Version is reported as weir-version by /overview and /config.
	Version string
	// Logger receives the server's warnings; nil means slog.Default().
	Logger *slog.Logger
}

// HistoryServer serves the archives of ended jobs (WriteArchive) with the
// dashboard, as Flink's HistoryServer: /jobs/overview lists every archived
// job, /config says it is a history server (features.web-history), and a
// job's routes answer what its archive holds. Every other API path answers
// 404, and every method but GET and HEAD 405: nothing can be changed.
type HistoryServer struct {
	o      HistoryOptions
	logger *slog.Logger
	srv    *Server // the listener and its serving goroutine

	mu struct {
		sync.Mutex
		jobs map[string]*archivedJob // by job ID
	}
	// scan is Refresh's own: one refresh at a time, and what it read.
	scan struct {
		sync.Mutex
		files  map[string]fileStamp // every archive file read, good or damaged
		failed map[string]string    // directory -> its last read error, warned once
	}
	loop struct {
		sync.Mutex
		stop, done chan struct{}
	}
}

// fileStamp tells whether a file changed since it was read.
type fileStamp struct {
	mod  time.Time
	size int64
	job  *archivedJob // nil for a damaged file
}

// archivedJob is one archive, read.
type archivedJob struct {
	file     string
	overview api.JobOverview
	answers  map[string]string // path -> JSON
}

// NewHistoryServer returns a history server of o; it reads nothing and
// listens on nothing until Refresh or Start.
func NewHistoryServer(o HistoryOptions) *HistoryServer {
	if o.Refresh <= 0 {
		o.Refresh = 10 * time.Second
	}
	h := &HistoryServer{o: o, logger: o.Logger}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.mu.jobs = map[string]*archivedJob{}
	h.scan.files = map[string]fileStamp{}
	h.scan.failed = map[string]string{}
	h.srv = &Server{version: o.Version, restAddress: o.Host, logger: h.logger, handler: h.routes()}
	if h.srv.version == "" {
		h.srv.version = "dev"
	}
	return h
}

// Handler is the server's whole HTTP surface.
func (h *HistoryServer) Handler() http.Handler { return h.srv.handler }

// Jobs is the number of archived jobs served.
func (h *HistoryServer) Jobs() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.mu.jobs)
}

// Refresh reads the directories again: new and changed archives are read,
// removed ones dropped. A directory that cannot be read and a damaged
// archive are each one warning, naming it, until they change; neither
// stops the others from being served.
func (h *HistoryServer) Refresh() {
	h.scan.Lock()
	defer h.scan.Unlock()
	jobs := map[string]*archivedJob{}
	files := map[string]fileStamp{}
	for _, dir := range h.o.Dirs {
		for _, f := range h.listDir(dir) {
			st, ok := h.scan.files[f.path]
			if !ok || !st.mod.Equal(f.mod) || st.size != f.size {
				st = fileStamp{mod: f.mod, size: f.size}
				job, err := readArchive(f.path)
				if err != nil {
					h.logger.Warn("history server: skipping a damaged job archive", "file", f.path, "err", err)
				} else {
					st.job = job
					h.logger.Info("history server: job archive read", "job", job.overview.JID, "file", f.path)
				}
			}
			files[f.path] = st
			if st.job != nil {
				if _, dup := jobs[st.job.overview.JID]; !dup {
					jobs[st.job.overview.JID] = st.job
				}
			}
		}
	}
	h.scan.files = files
	h.mu.Lock()
	h.mu.jobs = jobs
	h.mu.Unlock()
}

type dirEntry struct {
	path string
	mod  time.Time
	size int64
}

// listDir is dir's archive files, newest first, at most Retained of them.
// Hidden files (an archive being written) and subdirectories are skipped.
// Called with h.scan held.
func (h *HistoryServer) listDir(dir string) []dirEntry {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if h.scan.failed[dir] != err.Error() {
			h.logger.Warn("history server: cannot read an archive directory; it is read again every refresh interval",
				"dir", dir, "err", err)
			h.scan.failed[dir] = err.Error()
		}
		return nil
	}
	delete(h.scan.failed, dir)
	var out []dirEntry
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		out = append(out, dirEntry{path: filepath.Join(dir, e.Name()), mod: info.ModTime(), size: info.Size()})
	}
	slices.SortFunc(out, func(a, b dirEntry) int {
		return cmp.Or(b.mod.Compare(a.mod), strings.Compare(a.path, b.path))
	})
	if h.o.Retained > 0 && len(out) > h.o.Retained {
		out = out[:h.o.Retained]
	}
	return out
}

// readArchive reads one archive file: Flink's {"archive": [{path, json}]},
// which must hold the job's /jobs/overview entry with one job.
func readArchive(path string) (*archivedJob, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f archiveFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a job archive: %w", err)
	}
	job := &archivedJob{file: path, answers: make(map[string]string, len(f.Archive))}
	for _, e := range f.Archive {
		job.answers[e.Path] = e.JSON
	}
	ov, ok := job.answers["/jobs/overview"]
	if !ok {
		return nil, errors.New("not a job archive: it holds no /jobs/overview")
	}
	var o api.JobsOverview
	if err := json.Unmarshal([]byte(ov), &o); err != nil || len(o.Jobs) != 1 || !isHexID(o.Jobs[0].JID) {
		return nil, errors.New("not a job archive: its /jobs/overview does not hold one job")
	}
	job.overview = o.Jobs[0]
	return job, nil
}

// Start reads the directories, listens on addr (HOST:PORT; port 0 picks a
// free port) and serves on a goroutine of its own, and reads the
// directories again every refresh interval on another, until Shutdown.
func (h *HistoryServer) Start(addr string) error {
	h.loop.Lock()
	defer h.loop.Unlock()
	if h.loop.stop != nil {
		return ErrStarted
	}
	h.Refresh()
	if err := h.srv.Start(addr); err != nil {
		return err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	h.loop.stop, h.loop.done = stop, done
	go func() {
		defer close(done)
		t := time.NewTicker(h.o.Refresh)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				h.Refresh()
			}
		}
	}()
	return nil
}

// Addr is the address the server listens on; nil before Start.
func (h *HistoryServer) Addr() net.Addr { return h.srv.Addr() }

// URL is the dashboard's URL; "" before Start.
func (h *HistoryServer) URL() string { return h.srv.URL() }

// Shutdown stops reading the directories, joining that goroutine, and
// stops the server as Server.Shutdown does.
func (h *HistoryServer) Shutdown(ctx context.Context) error {
	h.loop.Lock()
	stop, done := h.loop.stop, h.loop.done
	h.loop.stop = nil
	h.loop.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	<-done
	return h.srv.Shutdown(ctx)
}

func (h *HistoryServer) routes() http.Handler {
	return serveAPI(func(w http.ResponseWriter, r *http.Request, segs []string) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf(
				"Request method %s is not allowed on %s: the history server serves ended jobs and changes nothing.", r.Method, r.URL.Path))
			return
		}
		switch path := "/" + strings.Join(segs, "/"); {
		case path == "/config":
			h.config(w)
		case path == "/overview":
			h.overview(w)
		case path == "/jobs":
			h.jobList(w)
		case path == "/jobs/overview":
			h.jobsOverview(w)
		case len(segs) >= 2 && segs[0] == "jobs" && segs[1] != "metrics":
			h.jobPage(w, r, segs)
		default:
			writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path+" (the history server serves the archived jobs' pages only)")
		}
	})
}

// archived is the jobs, newest end first.
func (h *HistoryServer) archived() []*archivedJob {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*archivedJob, 0, len(h.mu.jobs))
	for _, j := range h.mu.jobs {
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b *archivedJob) int {
		return cmp.Or(cmp.Compare(b.overview.EndTime, a.overview.EndTime), strings.Compare(a.overview.JID, b.overview.JID))
	})
	return out
}

// config is /config as Flink's HistoryServer writes it: web-history on,
// nothing to submit or cancel; the dashboard refreshes at the archive
// refresh interval.
func (h *HistoryServer) config(w http.ResponseWriter) {
	name, offset := time.Now().Zone()
	rev := revision()
	writeJSON(w, http.StatusOK, api.DashboardConfig{
		RefreshInterval: h.o.Refresh.Milliseconds(),
		TimezoneName:    name,
		TimezoneOffset:  int64(offset) * 1000,
		WeirVersion:     h.srv.version,
		WeirRevision:    rev,
		FlinkVersion:    api.FlinkVersion,
		FlinkRevision:   rev,
		Features:        map[string]any{"web-submit": false, "web-cancel": false, "web-rescale": false, "web-history": true},
	})
}

// overview is /overview: no task manager, the archived jobs by state.
func (h *HistoryServer) overview(w http.ResponseWriter) {
	rev := revision()
	o := api.Overview{WeirVersion: h.srv.version, WeirCommit: rev, FlinkVersion: api.FlinkVersion, FlinkCommit: rev}
	for _, j := range h.archived() {
		countJob(&o, j.overview.State)
	}
	writeJSON(w, http.StatusOK, o)
}

func (h *HistoryServer) jobList(w http.ResponseWriter) {
	out := api.JobList{Jobs: []api.JobID{}}
	for _, j := range h.archived() {
		out.Jobs = append(out.Jobs, api.JobID{ID: j.overview.JID, Status: j.overview.State})
	}
	writeJSON(w, http.StatusOK, out)
}

// jobsOverview merges every archive's own /jobs/overview, as Flink's
// HistoryServerArchiveFetcher does.
func (h *HistoryServer) jobsOverview(w http.ResponseWriter) {
	out := api.JobsOverview{Jobs: []api.JobOverview{}}
	for _, j := range h.archived() {
		out.Jobs = append(out.Jobs, j.overview)
	}
	writeJSON(w, http.StatusOK, out)
}

// jobPage answers /jobs/:jobid/... from the job's archive.
func (h *HistoryServer) jobPage(w http.ResponseWriter, r *http.Request, segs []string) {
	id := strings.ToLower(segs[1])
	if !isHexID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: job ID %q is not 32 hexadecimal digits.", segs[1]))
		return
	}
	h.mu.Lock()
	j := h.mu.jobs[id]
	h.mu.Unlock()
	if j == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Job %s not found: no archive of it in %s.", id, strings.Join(h.o.Dirs, ", ")))
		return
	}
	segs[1] = id
	path := "/" + strings.Join(segs, "/")
	body, ok := j.answers[path]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Not found: %s (the archive of job %s does not hold it).", r.URL.Path, id))
		return
	}
	if segs[len(segs)-1] == "metrics" {
		// Archived with every value: answer ?get= (or the IDs) from them.
		var ms []api.Metric
		if err := json.Unmarshal([]byte(body), &ms); err == nil {
			values := make(map[string]string, len(ms))
			for _, m := range ms {
				if m.Value != nil {
					values[m.ID] = *m.Value
				}
			}
			metricValues(w, r, values)
			return
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(body + "\n"))
}

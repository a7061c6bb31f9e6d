package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirstream/weir/web/api"
)

// ArchiveEntry is one REST answer in a job's archive, Flink's ArchivedJson:
// the request path and the JSON the server answered, as text.
type ArchiveEntry struct {
	Path string `json:"path"`
	JSON string `json:"json"`
}

// archiveFile is a job's archive file as Flink's FsJobArchivist writes it:
// {"archive": [{"path": ..., "json": ...}, ...]}.
type archiveFile struct {
	Archive []ArchiveEntry `json:"archive"`
}

// Archive renders what the REST API answers about job j, for the history
// server: every GET route a job's pages read (the job, its plan, status,
// configuration, result, exceptions, metrics, checkpoints with the details
// of each one in the history and their subtasks, and each vertex with its
// backpressure, watermarks, subtask times and metrics), plus
// /jobs/overview with j alone, which the history server merges over all
// archives as Flink's does. The answers come from the server's own
// handlers, driven in-process, so an archived page is byte for byte what
// the live server answered when the job ended. A route that answers
// anything but 200 (no checkpointing, say) is left out. A metrics route is
// archived with the values of every metric (as ?get= of all its IDs); the
// history server answers its ?get= from them.
func Archive(o Options, j Job) ([]ArchiveEntry, error) {
	s := NewServer(o, j)
	v := newJobView(j)
	base := "/jobs/" + v.id
	paths := []string{"/jobs/overview", base, base + "/plan", base + "/status", base + "/config",
		base + "/execution-result", base + "/exceptions",
		base + "/checkpoints", base + "/checkpoints/config", base + "/checkpoints/diagnosis"}
	metrics := []string{base + "/metrics"}
	if st, ok := j.CheckpointStats(); ok {
		for _, c := range st.History {
			d := fmt.Sprintf("%s/checkpoints/details/%d", base, c.ID)
			paths = append(paths, d)
			for _, vid := range v.vids {
				paths = append(paths, d+"/subtasks/"+vid)
			}
		}
	}
	for _, vid := range v.vids {
		vb := base + "/vertices/" + vid
		paths = append(paths, vb, vb+"/backpressure", vb+"/watermarks", vb+"/subtasktimes")
		metrics = append(metrics, vb+"/metrics")
	}
	var out []ArchiveEntry
	for _, p := range paths {
		if body, ok := s.render(p); ok {
			out = append(out, ArchiveEntry{Path: p, JSON: body})
		}
	}
	for _, p := range metrics {
		body, ok := s.render(p)
		if !ok {
			continue
		}
		var ids []api.Metric
		if err := json.Unmarshal([]byte(body), &ids); err != nil {
			return nil, fmt.Errorf("archive of job %s: %s answered no metric list: %w", v.id, p, err)
		}
		if len(ids) > 0 {
			names := make([]string, len(ids))
			for i, m := range ids {
				names[i] = m.ID
			}
			if body, ok = s.render(p + "?get=" + url.QueryEscape(strings.Join(names, ","))); !ok {
				continue
			}
		}
		out = append(out, ArchiveEntry{Path: p, JSON: body})
	}
	return out, nil
}

// render answers GET target with the server's handler in-process; ok is
// false unless the answer is 200.
func (s *Server) render(target string) (body string, ok bool) {
	r, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return "", false
	}
	var w recorder
	s.handler.ServeHTTP(&w, r)
	if w.code != 0 && w.code != http.StatusOK {
		return "", false
	}
	return string(bytes.TrimSpace(w.body.Bytes())), true
}

// recorder is the http.ResponseWriter render hands the handler: the status
// and the body, nothing else (httptest.ResponseRecorder is a test tool and
// registers a flag in its package).
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *recorder) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// WriteArchive writes j's archive (Archive) to dir/JOBID, creating dir,
// and returns the file's path. The file appears whole or not at all: it is
// written to a hidden temporary file in dir, synced, and renamed.
func WriteArchive(dir string, o Options, j Job) (string, error) {
	entries, err := Archive(o, j)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(archiveFile{Archive: entries})
	if err != nil {
		return "", fmt.Errorf("archive of job %s: %w", j.ID(), err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("archive of job %s: %w", j.ID(), err)
	}
	path := filepath.Join(dir, j.ID())
	tmp, err := os.CreateTemp(dir, "."+j.ID()+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("archive of job %s: %w", j.ID(), err)
	}
	err = tmp.Chmod(0o644) // read by the history server, maybe as another user
	if err == nil {
		_, err = tmp.Write(append(b, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("archive of job %s: %w", j.ID(), err)
	}
	return path, nil
}

package web

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/weirstream/weir/web/api"
)

// params are the path segments a route binds, by name.
type params map[string]string

type handlerFunc func(w http.ResponseWriter, r *http.Request, p params)

// route is an API path pattern, split at slashes: literal segments, and
// ":name" segments that bind any one segment. GET routes answer HEAD too.
type route struct {
	segs    []string
	methods map[string]handlerFunc
}

func (rt route) match(segs []string) (params, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var p params
	for i, s := range rt.segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			if p == nil {
				p = params{}
			}
			p[name] = segs[i]
		} else if s != segs[i] {
			return nil, false
		}
	}
	return p, true
}

func (rt route) allow() string {
	var ms []string
	for m := range rt.methods {
		ms = append(ms, m)
		if m == http.MethodGet {
			ms = append(ms, http.MethodHead)
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

func (s *Server) apiRoutes() []route {
	get := func(h handlerFunc) map[string]handlerFunc { return map[string]handlerFunc{http.MethodGet: h} }
	r := func(pattern string, m map[string]handlerFunc) route {
		return route{segs: strings.Split(strings.TrimPrefix(pattern, "/"), "/"), methods: m}
	}
	metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	// Literal routes come before the patterns that would also match them.
	return []route{
		r("/overview", get(s.overview)),
		r("/taskmanagers", get(s.taskManagerList)),
		r("/taskmanagers/:tmid", get(s.taskManagerDetails)),
		r("/config", get(s.dashboardConfig)),
		r("/metrics", get(func(w http.ResponseWriter, r *http.Request, _ params) {
			w.Header().Set("Cache-Control", "no-store")
			metrics.ServeHTTP(w, r)
		})),
		r("/jobs", get(s.jobList)),
		r("/jobs/overview", get(s.jobsOverview)),
		r("/jobs/metrics", get(s.aggregatedJobMetrics)),
		r("/jobs/:jobid", map[string]handlerFunc{http.MethodGet: s.jobDetails, http.MethodPatch: s.cancel}),
		r("/jobs/:jobid/plan", get(s.jobPlan)),
		r("/jobs/:jobid/status", get(s.jobStatus)),
		r("/jobs/:jobid/metrics", get(s.jobScopeMetrics)),
		r("/jobs/:jobid/config", get(s.jobConfig)),
		r("/jobs/:jobid/execution-result", get(s.executionResult)),
		r("/jobs/:jobid/exceptions", get(s.exceptions)),
		r("/jobs/:jobid/vertices/:vertexid", get(s.vertexDetails)),
		r("/jobs/:jobid/vertices/:vertexid/taskmanagers", get(s.vertexTaskManagers)),
		r("/jobs/:jobid/vertices/:vertexid/backpressure", get(s.backpressure)),
		r("/jobs/:jobid/vertices/:vertexid/watermarks", get(s.watermarks)),
		r("/jobs/:jobid/vertices/:vertexid/metrics", get(s.vertexScopeMetrics)),
		r("/jobs/:jobid/vertices/:vertexid/subtasktimes", get(s.subtaskTimes)),
		r("/jobs/:jobid/checkpoints", map[string]handlerFunc{http.MethodGet: s.checkpoints, http.MethodPost: s.triggerCheckpoint}),
		r("/jobs/:jobid/checkpoints/config", get(s.checkpointConfig)),
		r("/jobs/:jobid/checkpoints/diagnosis", get(s.checkpointDiagnoses)),
		r("/jobs/:jobid/checkpoints/:triggerid", get(s.checkpointTriggerStatus)),
		r("/jobs/:jobid/checkpoints/details/:checkpointid", get(s.checkpointDetails)),
		r("/jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid", get(s.checkpointSubtasks)),
	}
}

// apiRoots are the first path segments that belong to the API; every other
// path goes to the dashboard.
var apiRoots = map[string]bool{"overview": true, "config": true, "jobs": true, "metrics": true, "taskmanagers": true, "v1": true}

// serveAPI is the HTTP surface both the live server and the history
// server have: security headers, malformed paths refused, the dashboard for
// paths outside the API, and Flink's /v1 prefix dropped; api answers the
// rest, given the path's segments.
func serveAPI(api func(w http.ResponseWriter, r *http.Request, segs []string)) http.Handler {
	dashboard := Dashboard()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if msg := badPath(r); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		p := r.URL.Path
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		segs := strings.Split(p[1:], "/")
		if !apiRoots[segs[0]] {
			dashboard.ServeHTTP(w, r)
			return
		}
		if segs[0] == "v1" { // Flink's versioned paths: /v1/jobs is /jobs
			segs = segs[1:]
		}
		api(w, r, segs)
	})
}

func (s *Server) routes() http.Handler {
	api := s.apiRoutes()
	return serveAPI(func(w http.ResponseWriter, r *http.Request, segs []string) {
		for _, rt := range api {
			p, ok := rt.match(segs)
			if !ok {
				continue
			}
			m := r.Method
			if m == http.MethodHead {
				m = http.MethodGet
			}
			if h := rt.methods[m]; h != nil {
				if m != http.MethodGet && !s.authorized(w, r) {
					return
				}
				h(w, r, p)
				return
			}
			w.Header().Set("Allow", rt.allow())
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("Request method %s is not allowed on %s.", r.Method, r.URL.Path))
			return
		}
		writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	})
}

// authorized reports whether r carries the bearer token the server
// requires of requests that change something; when not, it answers 401.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.authToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.authToken)) == 1 {
		return true
	}
	why := "carries no bearer token"
	if ok {
		why = "carries a wrong bearer token"
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="weir"`)
	writeError(w, http.StatusUnauthorized, fmt.Sprintf("Unauthorized: %s %s %s; this server requires the token of "+
		"rest.auth.token(-file) as \"Authorization: Bearer TOKEN\" (weir cancel --token-file FILE).", r.Method, r.URL.Path, why))
	return false
}

// badPath says why a request's path is refused before routing: a "." or
// ".." segment (also percent-encoded), an empty segment, an encoded slash or
// backslash, a backslash or a NUL. It returns "" for a good path.
func badPath(r *http.Request) string {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "Bad request: the path must start with /."
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "Bad request: the path holds a backslash or a NUL."
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." {
			return "Bad request: the path holds a dot segment."
		}
		if seg == "" && i != len(segs)-1 {
			return "Bad request: the path holds an empty segment."
		}
	}
	raw := strings.ToLower(r.URL.RawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return "Bad request: the path holds an encoded slash or backslash."
	}
	return ""
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, api.ErrorResponse{Errors: []string{msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(api.ErrorResponse{Errors: []string{"Internal server error: " + err.Error()}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

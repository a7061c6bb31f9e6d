package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The dashboard's files: plain HTML, CSS and JavaScript modules, with uPlot
// vendored under assets/vendor. Nothing is fetched from elsewhere.
//
//go:embed assets
var assets embed.FS

// contentTypes maps the extensions of the embedded files to their types,
// so that responses do not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json",
	".md":   "text/plain; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// asset is one embedded file, ready to serve.
type asset struct {
	data        []byte
	contentType string
	etag        string
}

// dashboard serves the embedded files by exact path.
type dashboard struct {
	files map[string]asset // "index.html", "js/app.js", ...
}

// Dashboard returns the handler of the web dashboard, to be mounted at "/"
// next to the REST API: "/" is index.html, and every other path is one of
// the embedded files or 404. It serves only GET and HEAD, lists no
// directories, and never reads outside the embedded files.
func Dashboard() http.Handler { return loadDashboard() }

// loadDashboard reads the embedded files once.
var loadDashboard = sync.OnceValue(func() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // cannot happen: "assets" is a valid path
	}
	d := &dashboard{files: map[string]asset{}}
	err = fs.WalkDir(sub, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "text/plain; charset=utf-8" // LICENSE and the like
		}
		sum := sha256.Sum256(data)
		d.files[p] = asset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // cannot happen: reading an embed.FS does not fail
	}
	return d
})

func (d *dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	// Exact names only: no cleaning, so "a/../b", "//x" and "dir/" are
	// simply not found rather than resolved.
	f, ok := d.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if f.contentType == contentTypes[".html"] {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}

// Package fileurl reads the local path a file:// URL names, by the one rule
// Weir's locations follow (checkpoint directories, the file source and
// sink): file:///abs/path and file://localhost/abs/path name /abs/path,
// file://./rel/path names the relative rel/path, and no other host is
// allowed. The standard library has no such helper for a relative path.
package fileurl

import (
	"net/url"
	"path/filepath"
	"strings"
)

// Path returns the local path the file:// URL u names; ok is false when
// u names a host other than localhost or ".".
func Path(u *url.URL) (path string, ok bool) {
	switch u.Host {
	case "", "localhost":
		return filepath.FromSlash(u.Path), true
	case ".":
		return filepath.FromSlash(strings.TrimPrefix(u.Path, "/")), true
	}
	return "", false
}

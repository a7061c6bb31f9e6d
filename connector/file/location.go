package file

import (
	"errors"
	"net/url"
	"strings"

	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/internal/fileurl"
)

// ErrUnsupportedLocation is matched (errors.Is) by the error for a source
// or sink location that is a URL of a scheme other than file:// (s3://,
// hdfs://, ...): the file source and sink read and write local paths only.
// Such an error also matches failover.ErrNoRestart: a restart meets the
// same URL.
var ErrUnsupportedLocation = errors.New("unsupported location")

// locationError is LocalPath's refusal. Its message does not repeat the
// location: the caller names it (and the flag it came from).
type locationError struct{ msg string }

func (e *locationError) Error() string { return e.msg }
func (e *locationError) Is(target error) bool {
	return target == ErrUnsupportedLocation || target == failover.ErrNoRestart
}

// LocalPath returns the local path a source or sink location names: a plain
// path as it is, file:///abs/path (or file://localhost/abs/path) as
// /abs/path and file://./rel/path as rel/path, as checkpoint storage reads
// execution.checkpointing.dir. Any other URL (scheme://...) is refused with
// an error matching ErrUnsupportedLocation that says what is supported (a
// local path) but not the location itself, which the caller names.
// Without this, s3://bucket/out would be a relative path: a directory named
// "s3:".
func LocalPath(location string) (string, error) {
	scheme, _, ok := strings.Cut(location, "://")
	if !ok || !isScheme(scheme) {
		return location, nil
	}
	if !strings.EqualFold(scheme, "file") {
		return "", &locationError{strings.ToLower(scheme) + ":// URLs are not supported, only local paths (path, /abs/path or file:///abs/path)"}
	}
	u, err := url.Parse(location)
	if err != nil {
		return "", &locationError{"not a file:// URL: " + err.Error()}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", &locationError{"file:// URLs take no query or fragment (use file:///abs/dir)"}
	}
	if p, ok := fileurl.Path(u); ok && p != "" {
		return p, nil
	}
	return "", &locationError{"file:// URLs name no host (use file:///abs/dir or file://./rel/dir)"}
}

// isScheme says whether s is a URL scheme as RFC 3986 spells one: a letter,
// then letters, digits, "+", "-" or ".".
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

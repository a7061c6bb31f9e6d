package objstore

import (
	"errors"
	"io"
	"strings"
)

var (
	// ErrNotFound: the object (or the S3 bucket) does not exist.
	ErrNotFound = errors.New("does not exist")

	// ErrExists: Put with ifNotExist found an object under the key.
	ErrExists = errors.New("already exists")

	// ErrNoSuchUpload: an S3 multipart upload that is not in progress
	// (completed or aborted already, or never started).
	ErrNoSuchUpload = errors.New("no such multipart upload")
)

// Entry is one result of a listing: an object with its size, or, when
// listing with a delimiter, a common prefix (IsDir, Key ending in the
// delimiter).
type Entry struct {
	Key   string
	Size  int64
	IsDir bool
}

// Reader reads one object.
type Reader interface {
	io.ReadCloser
	// Size is the object's size in bytes.
	Size() int64
}

// fold applies a delimiter to a sorted list of keys below prefix: a key
// with the delimiter after the prefix becomes its common prefix, once.
func fold(prefix, delimiter string, keys []Entry) []Entry {
	if delimiter == "" {
		return keys
	}
	out := keys[:0:0]
	last := ""
	for _, e := range keys {
		rest := e.Key[len(prefix):]
		if i := strings.Index(rest, delimiter); i >= 0 {
			p := prefix + rest[:i+len(delimiter)]
			if p != last {
				out = append(out, Entry{Key: p, IsDir: true})
				last = p
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// notFoundError marks err as ErrNotFound and keeps its message and chain.
type notFoundError struct{ err error }

func (e *notFoundError) Error() string        { return e.err.Error() }
func (e *notFoundError) Unwrap() []error      { return []error{ErrNotFound, e.err} }
func notFound(err error) error                { return &notFoundError{err} }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

package storage

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/internal/fileurl"
	"github.com/weirstream/weir/internal/objstore"
)

// Names in the layout of a job's directory.
const (
	MetadataName   = "_metadata" // in chk-<n>/: the checkpoint's metadata
	CheckpointPref = "chk-"      // chk-<n>/: one checkpoint's exclusive files
	SharedDir      = "shared"    // files referenced by several checkpoints
	TaskOwnedDir   = "taskowned" // files owned by tasks, never deleted by checkpoints
	maxJobDirLen   = 128
	maxNameSegment = 255
)

// DefaultInlineThreshold is the size up to which WriteStateFile keeps state
// inline in the metadata instead of writing a file (Flink's
// state.storage.fs.memory-threshold, 20 KiB).
const DefaultInlineThreshold = 20 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Storage is checkpoint storage at one location: a directory, an S3 bucket
// (with an optional key prefix) or an in-memory bucket. Its methods are safe
// for concurrent use.
type Storage struct {
	bucket   Bucket
	location string // as opened, for messages
	scheme   string // "file", "s3" or "mem"
	root     string // absolute directory for "file"; "" otherwise
	base     string // base of external paths: root dir, or scheme://bucket/prefix
	shared   bool   // a named mem:// bucket shared in the process: Close keeps it
	opts     options
}

type options struct {
	inlineThreshold int
	sizeOnly        bool
	noCreate        bool
}

// Option adjusts a Storage.
type Option func(*options)

// WithInlineThreshold sets the size up to which WriteStateFile keeps state
// inline in the metadata (default DefaultInlineThreshold); a negative value
// turns inlining off.
func WithInlineThreshold(n int) Option { return func(o *options) { o.inlineThreshold = n } }

// WithSizeOnlyVerify makes Latest check that every referenced file exists
// with the right size, without reading it to check its checksum (reads
// still verify checksums).
func WithSizeOnlyVerify() Option { return func(o *options) { o.sizeOnly = true } }

// withoutCreate opens a file location only if it exists.
func withoutCreate() Option { return func(o *options) { o.noCreate = true } }

var memBuckets = struct {
	sync.Mutex
	m map[string]*objstore.Mem
}{m: map[string]*objstore.Mem{}}

// Open opens checkpoint storage at location:
//
//   - a plain path or file:///abs/dir (file://./rel for a relative one): a
//     directory on the local file system, created if missing;
//   - s3://bucket/optional/prefix?region=...&endpoint=...: an S3 bucket
//     through internal/objstore, with the URL options gocloud.dev's s3blob
//     took (region, endpoint, use_path_style, disable_https,
//     request_checksum_calculation, response_checksum_validation, ...; the
//     objstore package doc lists them); credentials come from the
//     environment (AWS_ACCESS_KEY_ID, ...);
//   - mem:// for a fresh in-memory bucket, mem://name/optional/prefix for one
//     shared by every Open of that name in the process (tests, the embedded
//     local cluster).
//
// Any other scheme is refused with ErrUnsupportedScheme.
func Open(ctx context.Context, location string, opts ...Option) (*Storage, error) {
	s := &Storage{location: location, opts: options{inlineThreshold: DefaultInlineThreshold}}
	for _, o := range opts {
		o(&s.opts)
	}
	if location == "" {
		return nil, errors.New("checkpoint storage: empty location")
	}
	if !strings.Contains(location, "://") {
		return s.openDir(location)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: bad location %q: %w", location, err)
	}
	prefix := strings.Trim(u.Path, "/")
	switch u.Scheme {
	case "file":
		if len(u.Query()) > 0 {
			return nil, fmt.Errorf("checkpoint storage: %q: file:// locations take no options", location)
		}
		dir, ok := fileurl.Path(u)
		if !ok {
			return nil, fmt.Errorf("checkpoint storage: %q: file:// URLs name no host (use file:///abs/dir or file://./rel/dir)", location)
		}
		return s.openDir(dir)
	case "mem":
		s.scheme = "mem"
		s.base = "mem://" + u.Host
		if u.Host == "" {
			s.bucket = objstore.NewMem()
		} else {
			memBuckets.Lock()
			b := memBuckets.m[u.Host]
			if b == nil {
				b = objstore.NewMem()
				memBuckets.m[u.Host] = b
			}
			memBuckets.Unlock()
			s.bucket, s.shared = b, true
		}
	case "s3":
		b, p, err := objstore.OpenS3(ctx, location)
		if err != nil {
			return nil, fmt.Errorf("checkpoint storage: open %s: %w", Redact(location), err)
		}
		s.scheme = "s3"
		s.base = "s3://" + u.Host
		s.bucket, prefix = b, p
	default:
		return nil, fmt.Errorf("%w %q in %q: use a directory path, file://, s3:// or mem://",
			ErrUnsupportedScheme, u.Scheme, Redact(location))
	}
	if prefix != "" {
		s.base += "/" + prefix
		// Closing the prefixed view closes the bucket under it; Close skips
		// that for shared mem:// buckets.
		s.bucket = &prefixed{Bucket: s.bucket, p: prefix + "/"}
	}
	return s, nil
}

func (s *Storage) openDir(dir string) (*Storage, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: %s: %w", dir, err)
	}
	b, err := objstore.OpenDir(abs, !s.opts.noCreate)
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: open directory %s: %w", abs, err)
	}
	s.bucket, s.scheme, s.root, s.base = b, "file", abs, abs
	return s, nil
}

// FromBucket wraps an open bucket as checkpoint storage; location is used
// in messages and external paths.
func FromBucket(b Bucket, location string, opts ...Option) *Storage {
	s := &Storage{bucket: b, location: location, scheme: "blob", base: strings.TrimRight(location, "/"),
		opts: options{inlineThreshold: DefaultInlineThreshold}}
	for _, o := range opts {
		o(&s.opts)
	}
	return s
}

// Close releases the bucket. A shared mem:// bucket stays in the process.
func (s *Storage) Close() error {
	if s.shared {
		return nil
	}
	return s.bucket.Close()
}

// Location is the location the storage was opened with.
func (s *Storage) Location() string { return Redact(s.location) }

// Bucket is the underlying bucket, for tools and tests.
func (s *Storage) Bucket() Bucket { return s.bucket }

// JobDir turns a job name into the name of its directory: every byte outside
// [A-Za-z0-9._-] becomes '_', a leading '.' becomes '_' (so "." and ".."
// cannot occur), an empty name becomes "_", and the result is cut to 128
// bytes. JobDir is idempotent. Different names can map to the same directory
// ("a b" and "a_b"): give jobs distinct IDs or plain names.
func JobDir(job string) string {
	b := []byte(job)
	if len(b) > maxJobDirLen {
		b = b[:maxJobDirLen]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	if b[0] == '.' {
		b[0] = '_'
	}
	return string(b)
}

// CheckpointDir is the directory of checkpoint id within a job's directory:
// "chk-<id>".
func CheckpointDir(id checkpoint.ID) string { return CheckpointPref + strconv.FormatInt(int64(id), 10) }

// parseCheckpointDir parses "chk-<n>" (n > 0, decimal, no sign or leading
// zero).
func parseCheckpointDir(name string) (checkpoint.ID, bool) {
	digits, ok := strings.CutPrefix(name, CheckpointPref)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return checkpoint.ID(n), err == nil && n > 0
}

// key is the bucket key of rel (a path relative to the job's directory).
func (s *Storage) key(job, rel string) string { return JobDir(job) + "/" + rel }

// ExternalPath is where checkpoint id of job lives, as people and
// ResolvePath see it: a directory path, or s3://bucket/prefix/job/chk-<n>.
func (s *Storage) ExternalPath(job string, id checkpoint.ID) string {
	if s.scheme == "file" {
		return filepath.Join(s.root, JobDir(job), CheckpointDir(id))
	}
	return s.base + "/" + JobDir(job) + "/" + CheckpointDir(id)
}

// validRelPath checks a path relative to a job's directory: '/'-separated
// segments of [A-Za-z0-9._-], none empty or starting with '.', at most 255
// bytes each.
func validRelPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "":
			return errors.New("empty path segment")
		case seg[0] == '.':
			return fmt.Errorf("segment %q starts with '.'", seg)
		case len(seg) > maxNameSegment:
			return fmt.Errorf("segment longer than %d bytes", maxNameSegment)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("byte %q not allowed (only A-Z a-z 0-9 . _ -)", c)
			}
		}
	}
	return nil
}

// isNotFound reports whether err says an object does not exist.
func isNotFound(err error) bool {
	return errors.Is(err, objstore.ErrNotFound) || errors.Is(err, os.ErrNotExist)
}

// writeObject writes r to key and returns its size and CRC32C. Nothing is
// visible under key unless the whole write succeeded: a local directory
// gets a temporary file next to the final one, fsynced and renamed; S3
// makes an object visible only when its PUT (or multipart upload)
// completes; memory swaps in the whole object.
func (s *Storage) writeObject(ctx context.Context, key string, r io.Reader, ifNotExist bool) (int64, uint32, error) {
	cr := &crcReader{r: r, h: crc32.New(castagnoli)}
	// S3-compatible servers differ in If-None-Match support; callers check
	// existence first there.
	if err := s.bucket.Put(ctx, key, cr, ifNotExist && s.scheme != "s3"); err != nil {
		return 0, 0, err
	}
	return cr.n, cr.h.Sum32(), nil
}

// crcReader counts and checksums what is read through it.
type crcReader struct {
	r io.Reader
	h hash.Hash32
	n int64
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// syncDir fsyncs a directory of a file storage, given as a key prefix
// ("" for the root). Missing directories are skipped.
func (s *Storage) syncDir(rel string) error {
	if s.root == "" {
		return nil
	}
	d, err := os.Open(filepath.Join(s.root, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Redact drops the query of a URL location ("s3://b/p?region=...&endpoint=..."),
// which may carry credentials or endpoints, for logs and messages; a plain
// path is returned as it is.
func Redact(location string) string {
	if i := strings.Index(location, "?"); i >= 0 && strings.Contains(location, "://") {
		return location[:i]
	}
	return location
}

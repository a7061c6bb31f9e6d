package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/objstore"
)

// s3CommittableVersion is the first byte of an S3 sink committable.
const s3CommittableVersion = 3

// maxUploadParts is S3's limit on the parts of one multipart upload.
const maxUploadParts = 10000

// S3Sink writes records as lines of part files to S3, exactly-once with
// checkpoints through multipart uploads completed when the checkpoint that
// covers them completes. It implements connector.Sink[string] and
// connector.RecoverableSink (not RetractingSink: see the package doc,
// "Sink on S3"); its writers implement connector.CheckpointedSinkWriter.
type S3Sink struct {
	location string // as given, for opening the bucket
	shown    string // s3://bucket/prefix, without options, for messages
	rollSize int64

	mu     sync.Mutex
	store  *objstore.S3
	prefix string // key prefix of the part files: "" or "dir/"
}

var (
	_ connector.Sink[string]           = (*S3Sink)(nil)
	_ connector.RecoverableSink        = (*S3Sink)(nil)
	_ connector.SinkWriter[string]     = (*s3Writer)(nil)
	_ connector.CheckpointedSinkWriter = (*s3Writer)(nil)
)

// NewS3Sink returns a sink writing part files under an s3:// location,
// s3://bucket/prefix?options, with the URL options of checkpoint storage
// (region, endpoint, use_path_style, ...; internal/objstore lists them).
// The bucket is opened, and a bad location refused, when the job starts
// the sink (Recover, CreateWriter). Options: WithRollSize.
func NewS3Sink(location string, opts ...SinkOption) *S3Sink {
	shown := location
	if i := strings.IndexByte(shown, '?'); i >= 0 {
		shown = shown[:i]
	}
	s := &S3Sink{location: location, shown: strings.TrimRight(shown, "/")}
	local := &Sink{rollSize: DefaultRollSize}
	for _, o := range opts {
		o(local)
	}
	s.rollSize = local.rollSize
	return s
}

// IsS3 reports whether location is an s3:// URL, which NewS3Sink takes
// and NewSink refuses.
func IsS3(location string) bool {
	scheme, _, ok := strings.Cut(location, "://")
	return ok && strings.EqualFold(scheme, "s3")
}

// Check opens the bucket without a request to S3: it refuses a location
// that is not an s3:// URL with a bucket, or that has an unknown option or
// a bad value, with an error that names it.
func (s *S3Sink) Check() error {
	_, _, err := s.open(context.Background())
	return err
}

// open opens the bucket once.
func (s *S3Sink) open(ctx context.Context) (*objstore.S3, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		st, prefix, err := objstore.OpenS3(ctx, s.location)
		if err != nil {
			return nil, "", fmt.Errorf("file sink %s: %w", s.shown, err)
		}
		if prefix != "" {
			prefix += "/"
		}
		s.store, s.prefix = st, prefix
	}
	return s.store, s.prefix, nil
}

// s3Commit is one sealed part file: a multipart upload with every part
// uploaded, waiting to be completed.
type s3Commit struct {
	key, uploadID string
	parts         []objstore.Part
}

func (c s3Commit) size() int64 {
	var n int64
	for _, p := range c.parts {
		n += p.Size
	}
	return n
}

// encodeS3Committable encodes c; see the package doc.
func encodeS3Committable(c s3Commit) []byte {
	b := []byte{s3CommittableVersion}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(c.key)
	str(c.uploadID)
	b = binary.AppendUvarint(b, uint64(len(c.parts)))
	for _, p := range c.parts {
		b = binary.AppendUvarint(b, uint64(p.Number))
		b = binary.AppendUvarint(b, uint64(p.Size))
		str(p.ETag)
		str(p.CRC32)
	}
	return b
}

func decodeS3Committable(b []byte) (s3Commit, error) {
	var c s3Commit
	if len(b) == 0 || b[0] != s3CommittableVersion {
		if len(b) > 0 && (b[0] == committableVersion || b[0] == historyVersion) {
			return c, errors.New("written by the local file sink, not the S3 one (a checkpoint of the job with a local --output)")
		}
		return c, errors.New("not an S3 sink committable")
	}
	rest := b[1:]
	bad := errors.New("truncated or malformed S3 sink committable")
	num := func() (uint64, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 {
			return 0, false
		}
		rest = rest[k:]
		return n, true
	}
	str := func() (string, bool) {
		n, ok := num()
		if !ok || n > uint64(len(rest)) {
			return "", false
		}
		s := string(rest[:n])
		rest = rest[n:]
		return s, true
	}
	var ok bool
	if c.key, ok = str(); !ok {
		return c, bad
	}
	if c.uploadID, ok = str(); !ok {
		return c, bad
	}
	n, ok := num()
	if !ok || n > maxUploadParts {
		return c, bad
	}
	for range n {
		var p objstore.Part
		num1, ok1 := num()
		size, ok2 := num()
		etag, ok3 := str()
		crc, ok4 := str()
		if !ok1 || !ok2 || !ok3 || !ok4 || num1 == 0 || num1 > maxUploadParts {
			return c, bad
		}
		p.Number, p.Size, p.ETag, p.CRC32 = int32(num1), int64(size), etag, crc
		c.parts = append(c.parts, p)
	}
	if len(rest) != 0 {
		return c, bad
	}
	return c, nil
}

// complete completes c's upload. An upload that is no longer in progress
// counts as completed when the object is there with c's size (an earlier
// commit, or the writer's notification, completed it); otherwise the
// records are lost and complete says so.
func complete(ctx context.Context, st *objstore.S3, shown string, c s3Commit) error {
	err := st.CompleteUpload(ctx, c.key, c.uploadID, c.parts)
	if err == nil {
		return nil
	}
	if !errors.Is(err, objstore.ErrNoSuchUpload) {
		return fmt.Errorf("file sink %s: complete %s: %w", shown, c.key, err)
	}
	size, serr := st.Stat(ctx, c.key)
	switch {
	case serr == nil && size == c.size():
		return nil
	case serr == nil:
		return fmt.Errorf("file sink %s: committed part file %s has %d bytes, not the %d its upload had: records of a completed checkpoint are lost",
			shown, c.key, size, c.size())
	case errors.Is(serr, objstore.ErrNotFound):
		return fmt.Errorf("file sink %s: committed part file %s is missing and its upload is gone (aborted?): records of a completed checkpoint are lost",
			shown, c.key)
	default:
		return fmt.Errorf("file sink %s: check %s: %w", shown, c.key, serr)
	}
}

// Recover completes the uploads of committables (idempotently) and then
// aborts every other multipart upload of a part file under the prefix:
// in-progress and sealed part files of earlier attempts that no completed
// checkpoint refers to. A committed upload that is gone without its object
// fails Recover, and then nothing is aborted.
func (s *S3Sink) Recover(ctx context.Context, committables [][]byte) error {
	st, prefix, err := s.open(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for i, b := range committables {
		c, err := decodeS3Committable(b)
		if err != nil {
			return fmt.Errorf("file sink %s: recover: committable %d of %d: %w", s.shown, i+1, len(committables), err)
		}
		if !strings.HasPrefix(c.key, prefix) {
			return fmt.Errorf("file sink %s: recover: committable %d of %d names %s, outside the sink's prefix %q (was --output another location?)",
				s.shown, i+1, len(committables), c.key, prefix)
		}
		if err := complete(ctx, st, s.shown, c); err != nil {
			return fmt.Errorf("%w (recover)", err)
		}
		keep[c.uploadID] = true
	}
	ups, err := st.ListUploads(ctx, prefix)
	if err != nil {
		return fmt.Errorf("file sink %s: recover: list uploads: %w", s.shown, err)
	}
	var errs []error
	for _, u := range ups {
		name := strings.TrimPrefix(u.Key, prefix)
		if _, _, kind, ok := parsePartName(name); !ok || kind != kindFinished || keep[u.ID] {
			continue
		}
		if err := st.AbortUpload(ctx, u.Key, u.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("file sink %s: recover: abort leftover uploads: %w", s.shown, err)
	}
	return nil
}

// CreateWriter opens the bucket and picks the subtask's first part counter:
// after the highest counter of the subtask among the part files under the
// prefix and the uploads in progress there.
func (s *S3Sink) CreateWriter(ctx connector.SinkContext) (connector.SinkWriter[string], error) {
	if s.rollSize <= 0 {
		return nil, fmt.Errorf("file sink %s: roll size must be positive, got %d", s.shown, s.rollSize)
	}
	bg := context.Background()
	st, prefix, err := s.open(bg)
	if err != nil {
		return nil, err
	}
	next := int64(0)
	see := func(key string) {
		if sub, n, kind, ok := parsePartName(strings.TrimPrefix(key, prefix)); ok && kind == kindFinished && sub == ctx.Subtask && n >= next {
			next = n + 1
		}
	}
	for e, err := range st.List(bg, prefix+"part-"+fmt.Sprint(ctx.Subtask)+"-", "/") {
		if err != nil {
			return nil, fmt.Errorf("file sink %s: list part files: %w", s.shown, err)
		}
		see(e.Key)
	}
	ups, err := st.ListUploads(bg, prefix)
	if err != nil {
		return nil, fmt.Errorf("file sink %s: list uploads: %w", s.shown, err)
	}
	for _, u := range ups {
		see(u.Key)
	}
	return &s3Writer{st: st, shown: s.shown, prefix: prefix, subtask: ctx.Subtask, rollSize: s.rollSize, next: next}, nil
}

// s3Part is the part file being written.
type s3Part struct {
	key      string
	uploadID string // "" until its first part goes up
	parts    []objstore.Part
	size     int64 // bytes written to it, uploaded or buffered
}

// s3Prepared are the sealed uploads a PrepareCommit(id) returned first.
type s3Prepared struct {
	id      int64
	commits []s3Commit
}

type s3Writer struct {
	st       *objstore.S3
	shown    string
	prefix   string
	subtask  int
	rollSize int64
	next     int64

	cur      *s3Part      // nil until the next Write after a seal
	buf      bytes.Buffer // the part file's bytes not uploaded yet
	sealed   []s3Commit   // sealed since the last PrepareCommit
	prepared []s3Prepared // handed out by PrepareCommit, not completed yet

	err    error // sticky
	closed bool
}

// ctx is the context of the writer's S3 calls: the runtime's calls carry
// none, and an upload cut short is cleaned up by Close or Recover.
var s3ctx = context.Background()

// Write appends v and a newline to the part file, rolling first if the file
// would grow past the roll size, and uploads a part whenever MinPartSize
// bytes are buffered.
func (w *s3Writer) Write(v string) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("file sink: write after close")
	}
	if w.cur != nil && w.cur.size > 0 && w.cur.size+int64(len(v))+1 > w.rollSize {
		if err := w.seal(); err != nil {
			return w.fail(err)
		}
	}
	if w.cur == nil {
		w.cur = &s3Part{key: w.prefix + FinishedName(w.subtask, w.next)}
		w.next++
	}
	w.buf.WriteString(v)
	w.buf.WriteByte('\n')
	w.cur.size += int64(len(v)) + 1
	if w.buf.Len() >= objstore.MinPartSize {
		if err := w.uploadBuffered(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *s3Writer) fail(err error) error {
	w.err = err
	return err
}

// uploadBuffered uploads the buffer as the part file's next part, starting
// its multipart upload first if needed.
func (w *s3Writer) uploadBuffered() error {
	p := w.cur
	if p.uploadID == "" {
		id, err := w.st.CreateUpload(s3ctx, p.key)
		if err != nil {
			return fmt.Errorf("file sink %s: start upload of %s: %w", w.shown, p.key, err)
		}
		p.uploadID = id
	}
	if len(p.parts) == maxUploadParts {
		return fmt.Errorf("file sink %s: %s would need more than %d parts; lower the roll size", w.shown, p.key, maxUploadParts)
	}
	part, err := w.st.UploadPart(s3ctx, p.key, p.uploadID, int32(len(p.parts)+1), w.buf.Bytes())
	if err != nil {
		return fmt.Errorf("file sink %s: upload part %d of %s: %w", w.shown, len(p.parts)+1, p.key, err)
	}
	p.parts = append(p.parts, part)
	w.buf.Reset()
	return nil
}

// seal uploads what is buffered as the part file's last part (which may be
// smaller than MinPartSize) and adds its upload, all parts up and not
// completed, to w.sealed. An empty part file is dropped.
func (w *s3Writer) seal() error {
	p := w.cur
	w.cur = nil
	if p.size == 0 {
		return nil
	}
	if w.buf.Len() > 0 {
		w.cur = p
		err := w.uploadBuffered()
		w.cur = nil
		if err != nil {
			w.sealed = append(w.sealed, s3Commit{key: p.key, uploadID: p.uploadID}) // aborted by Close
			return err
		}
	}
	w.sealed = append(w.sealed, s3Commit{key: p.key, uploadID: p.uploadID, parts: p.parts})
	return nil
}

// Flush does nothing before a checkpoint (PrepareCommit seals); at the end
// of the input it seals the part file.
func (w *s3Writer) Flush(endOfInput bool) error {
	if w.err != nil {
		return w.err
	}
	if !endOfInput || w.cur == nil {
		return nil
	}
	if err := w.seal(); err != nil {
		return w.fail(err)
	}
	return nil
}

// PrepareCommit seals the part file if it holds any bytes and returns one
// committable per sealed upload not completed yet: those sealed since the
// last call and those of earlier checkpoints not reported complete, so
// that every checkpoint's committables complete all output before it.
func (w *s3Writer) PrepareCommit(id int64) ([][]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.closed {
		return nil, errors.New("file sink: prepare commit after close")
	}
	if w.cur != nil {
		if err := w.seal(); err != nil {
			return nil, w.fail(err)
		}
	}
	if len(w.sealed) > 0 {
		w.prepared = append(w.prepared, s3Prepared{id: id, commits: w.sealed})
		w.sealed = nil
	}
	var out [][]byte
	for _, pp := range w.prepared {
		for _, c := range pp.commits {
			out = append(out, encodeS3Committable(c))
		}
	}
	return out, nil
}

// NotifyCheckpointComplete completes the uploads prepared for checkpoints
// up to and including id, idempotently. It also works after Close. On an
// error the uploads not completed stay listed, so a later call retries
// them.
func (w *s3Writer) NotifyCheckpointComplete(id int64) error {
	for len(w.prepared) > 0 && w.prepared[0].id <= id {
		pp := &w.prepared[0]
		for len(pp.commits) > 0 {
			if err := complete(s3ctx, w.st, w.shown, pp.commits[0]); err != nil {
				return fmt.Errorf("%w (commit checkpoint %d)", err, id)
			}
			pp.commits = pp.commits[1:]
		}
		w.prepared = w.prepared[1:]
	}
	return nil
}

// Close aborts the upload of the part file being written and those sealed
// since the last PrepareCommit (no checkpoint refers to them). Uploads
// handed out by PrepareCommit stay: they may belong to a completed
// checkpoint, so NotifyCheckpointComplete or a later attempt's Recover
// decides their fate.
func (w *s3Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	doomed := slices.Clone(w.sealed)
	if w.cur != nil && w.cur.uploadID != "" {
		doomed = append(doomed, s3Commit{key: w.cur.key, uploadID: w.cur.uploadID})
	}
	for _, c := range doomed {
		if c.uploadID == "" {
			continue
		}
		if err := w.st.AbortUpload(s3ctx, c.key, c.uploadID); err != nil {
			errs = append(errs, err)
		}
	}
	w.cur, w.sealed = nil, nil
	w.buf = bytes.Buffer{}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("file sink %s: close: %w", w.shown, err)
	}
	return nil
}

package file

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/weirstream/weir/connector"
)

// DefaultRollSize is the size at which a part file is finished and a new
// one started.
const DefaultRollSize = 128 << 20

const writeBufferSize = 256 << 10

const (
	inProgressSuffix = ".inprogress"
	pendingSuffix    = ".pending"
)

// Sink writes records as lines of part files in a directory, publishing
// them in step with checkpoints. It implements connector.Sink[string],
// connector.RecoverableSink and connector.RetractingSink; its writers implement
// connector.CheckpointedSinkWriter. See the package doc.
type Sink struct {
	dir      string
	rollSize int64
	// badDir is LocalPath's refusal of the location NewSink was given
	// (an s3:// URL, say), returned by CreateWriter and Recover.
	badDir error

	mu sync.Mutex
	// prefix is the history the current attempt descends from (nil for
	// an attempt that started without a checkpoint) and cur the attempt's
	// epoch; set by Recover, or by the first CreateWriter without one.
	prefix history
	cur    epoch
	hasCur bool
}

var (
	_ connector.Sink[string]           = (*Sink)(nil)
	_ connector.RecoverableSink        = (*Sink)(nil)
	_ connector.RetractingSink         = (*Sink)(nil)
	_ connector.AttemptJoiner          = (*Sink)(nil)
	_ connector.SinkWriter[string]     = (*writer)(nil)
	_ connector.CheckpointedSinkWriter = (*writer)(nil)
)

// SinkOption configures a Sink.
type SinkOption func(*Sink)

// WithRollSize sets the size in bytes at which a part file is rolled. A
// single record longer than that still goes into one file.
func WithRollSize(bytes int64) SinkOption { return func(s *Sink) { s.rollSize = bytes } }

// NewSink returns a sink writing part files into dir, a local path (see
// LocalPath: file:///abs/dir is /abs/dir). A URL of another scheme, such as
// s3://bucket/out, is refused when the job starts the sink (CreateWriter,
// Recover) with an error matching ErrUnsupportedLocation, never written to a
// local directory named "s3:".
func NewSink(dir string, opts ...SinkOption) *Sink {
	local, err := LocalPath(dir)
	if err != nil {
		local, err = dir, fmt.Errorf("file sink %q: %w", dir, err)
	}
	s := &Sink{dir: local, badDir: err, rollSize: DefaultRollSize}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FinishedName is the published name of part file n of a subtask.
func FinishedName(subtask int, n int64) string {
	return "part-" + strconv.Itoa(subtask) + "-" + strconv.FormatInt(n, 10)
}

// InProgressName is the hidden name of a part file being written.
func InProgressName(subtask int, n int64) string {
	return "." + FinishedName(subtask, n) + inProgressSuffix
}

// PendingName is the hidden name of a finished part file (flushed, fsynced
// and closed) that waits for a checkpoint commit to be published.
func PendingName(subtask int, n int64) string {
	return "." + FinishedName(subtask, n) + pendingSuffix
}

// partKind says which of the three names of a part file a name is.
type partKind int

const (
	kindFinished partKind = iota
	kindInProgress
	kindPending
	kindRetracted
)

// parsePartName returns the subtask, counter and kind of a finished,
// in-progress or pending part file name.
func parsePartName(name string) (subtask int, n int64, kind partKind, ok bool) {
	if s, found := strings.CutPrefix(name, "."); found {
		if name, found = strings.CutSuffix(s, inProgressSuffix); found {
			kind = kindInProgress
		} else if name, found = strings.CutSuffix(s, pendingSuffix); found {
			kind = kindPending
		} else if name, found = strings.CutSuffix(s, retractedSuffix); found {
			kind = kindRetracted
		} else {
			return 0, 0, 0, false
		}
	}
	rest, found := strings.CutPrefix(name, "part-")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, 0, false
	}
	st, err1 := strconv.Atoi(a)
	c, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || st < 0 || c < 0 {
		return 0, 0, 0, false
	}
	return st, c, kind, true
}

// CreateWriter creates the directory if needed, opens the subtask's commit
// log, picks the subtask's first part counter (after the highest one of
// the subtask in the directory, whether finished, pending, in progress or
// retracted, and in its commit log) and opens its first in-progress file
// (so an unwritable directory fails here).
func (s *Sink) CreateWriter(ctx connector.SinkContext) (connector.SinkWriter[string], error) {
	if s.badDir != nil {
		return nil, s.badDir
	}
	if s.rollSize <= 0 {
		return nil, fmt.Errorf("file sink %s: roll size must be positive, got %d", s.dir, s.rollSize)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("file sink: cannot create directory %s: %w", s.dir, cause(err))
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("file sink: cannot read directory %s: %w", s.dir, cause(err))
	}
	next := int64(0)
	for _, e := range entries {
		if st, n, _, ok := parsePartName(e.Name()); ok && st == ctx.Subtask && n >= next {
			next = n + 1
		}
	}
	highest, torn, err := scanCommitLog(s.dir, ctx.Subtask)
	if err != nil {
		return nil, err
	}
	next = max(next, highest+1)
	s.mu.Lock()
	if !s.hasCur {
		s.cur, s.hasCur = newEpoch(), true
	}
	prefix, cur := s.prefix, s.cur
	s.mu.Unlock()
	root := cur
	if len(prefix) > 0 {
		root = prefix[0].epoch
	}
	w := &writer{dir: s.dir, subtask: ctx.Subtask, rollSize: s.rollSize, next: next,
		tornLog: torn, prefix: prefix, epoch: cur, root: root}
	if err := w.openPart(); err != nil {
		return nil, err
	}
	return w, nil
}

// Recover is RecoverFrom for a runtime that says nothing about the
// checkpoint: committables nil means a start without a checkpoint.
func (s *Sink) Recover(ctx context.Context, committables [][]byte) error {
	return s.recover(ctx, committables == nil, connector.RestoreInfo{}, committables)
}

// RecoverFrom publishes the part files of committables (idempotently: a
// file already at its final name and gone from its hidden name counts as
// published), takes back the published part files of the restored
// checkpoint's lineage that it does not cover and republishes retracted
// ones it covers (see the package doc), fsyncs the directory, and then
// deletes every in-progress and pending part file left in the directory,
// of any subtask: leftovers of earlier attempts that no completed
// checkpoint refers to (on a start without a checkpoint, retracted files
// too). Other files are left alone. A committed file found under neither
// name is an error (its records are lost), and then nothing is deleted.
func (s *Sink) RecoverFrom(ctx context.Context, info connector.RestoreInfo, committables [][]byte) error {
	return s.recover(ctx, info.Checkpoint == 0, info, committables)
}

func (s *Sink) recover(ctx context.Context, fresh bool, info connector.RestoreInfo, committables [][]byte) error {
	if s.badDir != nil {
		return s.badDir
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("file sink: cannot create directory %s: %w", s.dir, cause(err))
	}
	type commit struct{ hidden, final string }
	commits := make([]commit, 0, len(committables))
	var hs []history
	for i, b := range committables {
		if len(b) > 0 && b[0] == historyVersion {
			h, err := decodeHistory(b)
			if err != nil {
				return fmt.Errorf("file sink %s: recover: committable %d of %d: %w", s.dir, i+1, len(committables), err)
			}
			hs = append(hs, h)
			continue
		}
		hidden, final, err := decodeCommittable(b)
		if err != nil {
			return fmt.Errorf("file sink %s: recover: committable %d of %d: %w", s.dir, i+1, len(committables), err)
		}
		commits = append(commits, commit{hidden, final})
	}
	h, err := mergeHistories(hs)
	if err != nil {
		return fmt.Errorf("file sink %s: recover: %w", s.dir, err)
	}
	renamed := false
	var missing []string
	keep := map[string]bool{}
	for _, c := range commits {
		if err := ctx.Err(); err != nil {
			return err
		}
		keep[c.final] = true
		r, err := publishPart(s.dir, c.hidden, c.final)
		if errors.Is(err, errMissing) {
			// Taken back by an earlier restore of an older checkpoint?
			if st, n, kind, ok := parsePartName(c.final); ok && kind == kindFinished {
				r, err = publishPart(s.dir, RetractedName(st, n), c.final)
			}
		}
		if errors.Is(err, errMissing) {
			missing = append(missing, c.final)
			continue
		}
		if err != nil {
			return fmt.Errorf("file sink %s: recover: %w", s.dir, err)
		}
		renamed = renamed || r
	}
	if renamed {
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 1 {
			more = fmt.Sprintf(" (and %d more committed part files)", len(missing)-1)
		}
		return fmt.Errorf("file sink %s: recover: committed part file %s is missing, under its hidden name and its final name%s: records of a completed checkpoint are lost",
			s.dir, missing[0], more)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("file sink: cannot read directory %s: %w", s.dir, cause(err))
	}
	if len(h) > 0 {
		logs, err := readCommitLogs(s.dir, entries)
		if err != nil {
			return err
		}
		r, err := reconcile(ctx, s.dir, h, keep, logs)
		if r.retracted+r.republished > 0 {
			if serr := syncDir(s.dir); err == nil {
				err = serr
			}
		}
		if err != nil {
			return fmt.Errorf("file sink %s: recover: %w", s.dir, err)
		}
		if info.Logger != nil && r.retracted > 0 {
			info.Logger.Warn("file sink took back output of checkpoints newer than the one restored",
				"dir", s.dir, "restored", info.Checkpoint, "files", r.retracted, "committed_by", describeTags(r.tags))
		}
		if info.Logger != nil && r.republished > 0 {
			info.Logger.Info("file sink republished output of the restored checkpoint it had taken back",
				"dir", s.dir, "restored", info.Checkpoint, "files", r.republished)
		}
	} else if info.Logger != nil && info.Newest > info.Checkpoint {
		info.Logger.Warn("file sink cannot take back what newer checkpoints committed: the restored checkpoint records no sink history (written by an older Weir); their output may repeat",
			"dir", s.dir, "restored", info.Checkpoint, "newest", info.Newest)
	}
	var errs []error
	for _, e := range entries {
		_, _, kind, ok := parsePartName(e.Name())
		if !ok || kind == kindFinished || e.IsDir() || (kind == kindRetracted && !fresh) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("file sink %s: recover: remove leftovers: %w", s.dir, err)
	}
	s.mu.Lock()
	s.prefix, s.cur, s.hasCur = h, attemptEpoch(info.Attempt), true
	s.mu.Unlock()
	return nil
}

// JoinAttempt takes the history and epoch that the attempt's recovery, in
// another process of the cluster, decided from the same committables
// (connector.AttemptJoiner); it touches no file.
func (s *Sink) JoinAttempt(info connector.RestoreInfo, committables [][]byte) error {
	var hs []history
	for i, b := range committables {
		if len(b) > 0 && b[0] == historyVersion {
			h, err := decodeHistory(b)
			if err != nil {
				return fmt.Errorf("file sink %s: committable %d of %d: %w", s.dir, i+1, len(committables), err)
			}
			hs = append(hs, h)
		}
	}
	h, err := mergeHistories(hs)
	if err != nil {
		return fmt.Errorf("file sink %s: %w", s.dir, err)
	}
	s.mu.Lock()
	s.prefix, s.cur, s.hasCur = h, attemptEpoch(info.Attempt), true
	s.mu.Unlock()
	return nil
}

// attemptEpoch is the epoch of the named attempt, the same in every
// process that runs part of it; a fresh random one for an unnamed
// attempt.
func attemptEpoch(attempt string) epoch {
	if attempt == "" {
		return newEpoch()
	}
	var e epoch
	sum := sha256.Sum256([]byte(attempt))
	copy(e[:], sum[:])
	return e
}

// errMissing reports a committed part file found under neither of its names.
var errMissing = errors.New("committed part file missing")

// publishPart renames dir/hidden to dir/final and reports whether it did;
// a file already at final and gone from hidden counts as published. It does
// not fsync the directory.
func publishPart(dir, hidden, final string) (renamed bool, err error) {
	err = os.Rename(filepath.Join(dir, hidden), filepath.Join(dir, final))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Lstat(filepath.Join(dir, final)); serr == nil {
			return false, nil
		}
		return false, fmt.Errorf("%w: %s (neither %s nor %s exists)", errMissing, final, hidden, final)
	}
	return false, fmt.Errorf("publish %s: %w", final, cause(err))
}

// cause drops the *fs.PathError decoration when the message already names
// the path.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// part is one part file of a writer. The names are relative to the sink
// directory.
type part struct {
	inProgress, pending, final string
	f                          *os.File
	size                       int64
}

// preparedParts are the pending files whose committables a PrepareCommit(id)
// returned first.
type preparedParts struct {
	id    int64
	parts []*part
}

type writer struct {
	dir      string
	subtask  int
	rollSize int64
	next     int64 // counter of the next part file

	log         *os.File // the subtask's commit log, open for appending; nil until needed
	tornLog     bool     // its last line is unterminated
	prefix      history  // the attempts this one descends from
	epoch, root epoch    // this attempt, and its lineage's first
	maxTag      int64    // the newest id that tagged part files

	cur *part // in-progress file, nil until the next Write after a seal
	bw  *bufio.Writer

	// sealed are the pending files (flushed, fsynced, closed, renamed to
	// their pending name) sealed since the last PrepareCommit.
	sealed []*part
	// prepared are the pending files handed out by PrepareCommit and not
	// published yet, in the order of the calls.
	prepared []preparedParts

	err    error // sticky: the first write or seal failure
	closed bool
}

func (w *writer) openPart() error {
	for tries := 0; ; tries++ {
		p := &part{
			inProgress: InProgressName(w.subtask, w.next),
			pending:    PendingName(w.subtask, w.next),
			final:      FinishedName(w.subtask, w.next),
		}
		w.next++
		f, err := os.OpenFile(filepath.Join(w.dir, p.inProgress), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && tries < 1000 {
			continue // another writer of the same subtask took this counter
		}
		if err != nil {
			return fmt.Errorf("file sink: cannot write to directory %s: %w", w.dir, cause(err))
		}
		p.f = f
		if w.bw == nil {
			w.bw = bufio.NewWriterSize(f, writeBufferSize)
		} else {
			w.bw.Reset(f)
		}
		w.cur = p
		return nil
	}
}

// Write appends v and a newline to the in-progress file, rolling first if
// the file would grow past the roll size.
func (w *writer) Write(v string) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("file sink: write after close")
	}
	if w.cur == nil {
		if err := w.openPart(); err != nil {
			return w.fail(err)
		}
	} else if w.cur.size > 0 && w.cur.size+int64(len(v))+1 > w.rollSize {
		if err := w.seal(); err != nil {
			return w.fail(err)
		}
		if err := w.openPart(); err != nil {
			return w.fail(err)
		}
	}
	w.bw.WriteString(v)
	if err := w.bw.WriteByte('\n'); err != nil {
		return w.fail(fmt.Errorf("file sink: %w", err))
	}
	w.cur.size += int64(len(v)) + 1
	return nil
}

func (w *writer) fail(err error) error {
	w.err = err
	return err
}

// seal flushes, fsyncs and closes the in-progress file, which holds bytes,
// renames it to its pending name and adds it to w.sealed. The directory is
// fsynced by the next PrepareCommit.
func (w *writer) seal() error {
	p := w.cur
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	err := p.f.Close()
	p.f = nil
	w.cur = nil
	if err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	if err := os.Rename(filepath.Join(w.dir, p.inProgress), filepath.Join(w.dir, p.pending)); err != nil {
		return fmt.Errorf("file sink: seal %s: %w", p.final, cause(err))
	}
	w.sealed = append(w.sealed, p)
	return nil
}

// discardCurrent closes and removes the in-progress file.
func (w *writer) discardCurrent() error {
	p := w.cur
	w.cur = nil
	err := p.f.Close()
	p.f = nil
	if rerr := os.Remove(filepath.Join(w.dir, p.inProgress)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("file sink: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("file sink: sync directory: %w", err)
	}
	return nil
}

// Flush pushes buffered lines to the in-progress file; at the end of the
// input it also seals that file (an empty one is removed instead). It
// publishes nothing: that is NotifyCheckpointComplete's job.
func (w *writer) Flush(endOfInput bool) error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	if !endOfInput {
		if err := w.bw.Flush(); err != nil {
			return w.fail(fmt.Errorf("file sink: %w", err))
		}
		return nil
	}
	if w.cur.size == 0 {
		if err := w.discardCurrent(); err != nil {
			return w.fail(fmt.Errorf("file sink: %w", err))
		}
		return nil
	}
	if err := w.seal(); err != nil {
		return w.fail(err)
	}
	return nil
}

// PrepareCommit seals the in-progress file if it holds any bytes, appends
// the files sealed since the last call to the commit log, tagged with id,
// and fsyncs it and the directory, and returns the writer's history entry
// followed by one committable per pending file not published yet: those
// sealed since the last call and those of earlier calls whose checkpoint
// has not been reported complete. Repeating the earlier ones makes every
// checkpoint self-sufficient: a restore from checkpoint id publishes what
// earlier checkpoints prepared even when their notifications were lost.
func (w *writer) PrepareCommit(id int64) ([][]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.closed {
		return nil, errors.New("file sink: prepare commit after close")
	}
	if w.cur != nil && w.cur.size > 0 {
		if err := w.seal(); err != nil {
			return nil, w.fail(err)
		}
	}
	if len(w.sealed) > 0 {
		var lines strings.Builder
		for _, p := range w.sealed {
			_, n, _, _ := parsePartName(p.final)
			lines.WriteString(logEntry{root: w.root, epoch: w.epoch, tag: id, n: n, final: p.final}.line())
		}
		if err := w.appendLog(lines.String()); err != nil {
			return nil, w.fail(err)
		}
		if err := syncDir(w.dir); err != nil {
			return nil, w.fail(err)
		}
		w.prepared = append(w.prepared, preparedParts{id: id, parts: w.sealed})
		w.sealed = nil
		w.maxTag = max(w.maxTag, id)
	}
	out := [][]byte{encodeHistory(w.prefix, w.epoch, w.subtask, max(id, w.maxTag))}
	for _, pp := range w.prepared {
		for _, p := range pp.parts {
			out = append(out, encodeCommittable(p.pending, p.final))
		}
	}
	return out, nil
}

// NotifyCheckpointComplete publishes the pending files prepared for
// checkpoints up to and including id: it renames them to their final names
// and then fsyncs the directory once. Calling it again, or for an id with
// nothing left to publish, does nothing. It also works after Close. On an
// error the files stay listed, so a later call retries them.
func (w *writer) NotifyCheckpointComplete(id int64) error {
	var publish, keep []preparedParts
	for _, pp := range w.prepared {
		if pp.id <= id {
			publish = append(publish, pp)
		} else {
			keep = append(keep, pp)
		}
	}
	if len(publish) == 0 {
		return nil
	}
	renamed := false
	for _, pp := range publish {
		for _, p := range pp.parts {
			r, err := publishPart(w.dir, p.pending, p.final)
			if err != nil {
				return fmt.Errorf("file sink %s: commit checkpoint %d: %w", w.dir, id, err)
			}
			renamed = renamed || r
		}
	}
	if renamed {
		if err := syncDir(w.dir); err != nil {
			return err
		}
	}
	w.prepared = keep
	return nil
}

// Close closes and removes the in-progress file and removes the pending
// files sealed since the last PrepareCommit (no checkpoint refers to them).
// Pending files handed out by PrepareCommit stay, hidden: they may belong to
// a completed checkpoint, so NotifyCheckpointComplete (still possible after
// Close) or a later attempt's Recover decides their fate.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if w.cur != nil {
		if err := w.discardCurrent(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range w.sealed {
		if err := os.Remove(filepath.Join(w.dir, p.pending)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	w.sealed = nil
	if w.log != nil {
		if err := w.log.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("file sink: close: %w", err)
	}
	return nil
}

package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/internal/units"
)

const readBufferSize = 256 << 10

// Fingerprint sizes: the CRC-32C of up to headSize bytes from a file's
// start and of up to tailSize bytes before the resume offset (the end of
// the last line read) are kept in the position; see the package doc.
const (
	headSize = 64 << 10
	tailSize = 4 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrInputChanged is wrapped by the error the reader fails with when a file
// is not the one a checkpoint read (it was truncated, replaced or
// rewritten before a restore), or was truncated or rewritten while being
// read. Such an error also wraps failover.ErrNoRestart: restarting would
// meet the same file.
var ErrInputChanged = errors.New("input file changed")

// Source reads the lines of a file or of the files of a directory. It
// implements connector.Source[string]; see the package doc.
type Source struct {
	path          string
	maxRecordSize int64
	// badPath is LocalPath's refusal of the location NewSource was given
	// (an s3:// URL, say), returned by Files and CreateReader.
	badPath error
}

var _ connector.Source[string] = (*Source)(nil)

// NewSource returns a source reading the lines of path: a file, or a
// directory whose regular, non-hidden files are read. Lines longer than
// connector.DefaultMaxRecordSize fail the reader; see WithMaxRecordSize.
// path is a local path (see LocalPath: file:///abs/file is /abs/file); a
// URL of another scheme, such as s3://bucket/in, is refused by Files and
// CreateReader with an error matching ErrUnsupportedLocation.
func NewSource(path string) *Source {
	local, err := LocalPath(path)
	if err != nil {
		local, err = path, fmt.Errorf("file source %q: %w", path, err)
	}
	return &Source{path: local, badPath: err, maxRecordSize: connector.DefaultMaxRecordSize}
}

// WithMaxRecordSize sets the longest line, in bytes without its line end,
// the source accepts (the option source.max-record-size); n < 1 means the
// default. It returns s.
func (s *Source) WithMaxRecordSize(n int64) *Source {
	s.maxRecordSize = connector.MaxRecordSize(n)
	return s
}

// Identity is "file " and the absolute path (connector.Identifier): a
// checkpoint of this source is refused by a job reading another path.
func (s *Source) Identity() string {
	if abs, err := filepath.Abs(s.path); err == nil {
		return "file " + abs
	}
	return "file " + s.path
}

// Files lists the files the source reads, in name order (the order split
// indexes refer to).
func (s *Source) Files() ([]string, error) {
	if s.badPath != nil {
		return nil, s.badPath
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("file source: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("file source: %w", err)
	}
	if !fi.IsDir() {
		return []string{s.path}, nil
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("file source: read directory %s: %w", s.path, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		full := filepath.Join(s.path, name)
		regular := e.Type().IsRegular()
		if e.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(full); err == nil {
				regular = st.Mode().IsRegular()
			}
		}
		if regular {
			files = append(files, full)
		}
	}
	return files, nil
}

// CreateReader assigns the reader its files: on a fresh start those whose
// index in Files is Subtask modulo Parallelism, on a restore exactly the
// files of the Restored entries.
func (s *Source) CreateReader(ctx connector.SourceContext) (connector.SourceReader[string], error) {
	if s.badPath != nil {
		return nil, s.badPath
	}
	r := &reader{maxRecordSize: s.maxRecordSize}
	if ctx.Restored != nil {
		for i, b := range ctx.Restored {
			e, err := decodeEntry(b)
			if err != nil {
				return nil, fmt.Errorf("file source %s: restore: position entry %d of %d: %w", s.path, i+1, len(ctx.Restored), err)
			}
			r.splits = append(r.splits, &split{entry: e, restored: true, enc: slices.Clone(b)})
		}
		slices.SortStableFunc(r.splits, func(a, b *split) int { return strings.Compare(a.path, b.path) })
	} else {
		files, err := s.Files()
		if err != nil {
			return nil, err
		}
		p := max(ctx.Parallelism, 1)
		for i, f := range files {
			if i%p == ctx.Subtask {
				r.splits = append(r.splits, &split{entry: entry{path: f}})
			}
		}
	}
	if ctx.Logger != nil {
		ctx.Logger.Debug("file source reader created", "path", s.path, "files", len(r.splits), "restored", ctx.Restored != nil)
	}
	return r, nil
}

// split is one file of a reader, how far it has been read and a
// fingerprint of what was read.
type split struct {
	entry
	restored bool   // the entry came from a checkpoint: check the file at open
	enc      []byte // cached encoding of entry; nil when stale
}

func (s *split) encoded() []byte {
	if s.enc == nil {
		s.enc = encodeEntry(s.entry)
	}
	return s.enc
}

// setTail records raw, the bytes of the last line read (ending at
// s.offset), in the fingerprint.
func (s *split) setTail(raw []byte) {
	if len(raw) > tailSize {
		raw = raw[len(raw)-tailSize:]
	}
	s.tailLen, s.tailCRC = int64(len(raw)), crc32.Checksum(raw, castagnoli)
	s.enc = nil
}

type reader struct {
	splits        []*split
	cur           int // index of the split being read
	f             *os.File
	br            *bufio.Reader
	long          []byte // scratch for lines longer than the read buffer
	maxRecordSize int64
	sizes         map[string]int64 // each file's size as Pending first saw it
}

var _ connector.SplitFetcher[string] = (*reader)(nil)
var _ connector.StartPositioner = (*reader)(nil)

// Fetch implements connector.SourceReader.
func (r *reader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	return r.fetch(ctx, buf, nil)
}

// FetchSplits implements connector.SplitFetcher: each file is a split, named
// by its path, finished when its last line has been read.
func (r *reader) FetchSplits(ctx context.Context, buf []string, splits *connector.SplitBatch) ([]string, [][]byte, error) {
	return r.fetch(ctx, buf, splits)
}

// fetch reads lines into buf; with splits non-nil it also says which file
// each came from.
func (r *reader) fetch(ctx context.Context, buf []string, splits *connector.SplitBatch) ([]string, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return buf, nil, err
	}
	// tail is the raw last line read, valid until the next read; it goes
	// into the fingerprint of the split being read when the batch ends.
	var tail []byte
	for len(buf) < cap(buf) {
		if r.cur >= len(r.splits) {
			return buf, r.position(), io.EOF
		}
		sp := r.splits[r.cur]
		if sp.done {
			r.cur++
			continue
		}
		if r.f == nil {
			if err := r.open(sp); err != nil {
				return buf, nil, err
			}
		}
		line, raw, err := r.readLine(sp)
		tail = raw
		if len(raw) > 0 {
			sp.offset += int64(len(raw))
			sp.enc = nil
			buf = append(buf, line)
			if splits != nil {
				splits.Add(sp.path)
			}
		}
		if err == io.EOF {
			tail = nil
			if err := r.checkUnchanged(sp); err != nil {
				return buf, nil, err
			}
			sp.done = true
			sp.enc = nil
			if splits != nil {
				splits.Finished = append(splits.Finished, sp.path)
			}
			r.closeFile()
			r.cur++
			continue
		}
		if err != nil {
			return buf, nil, err
		}
	}
	if tail != nil {
		r.splits[r.cur].setTail(tail)
	}
	if r.cur >= len(r.splits) {
		return buf, r.position(), io.EOF
	}
	return buf, r.position(), nil
}

func (r *reader) open(sp *split) error {
	f, err := os.Open(sp.path)
	if err != nil {
		if sp.restored && sp.offset > 0 && errors.Is(err, fs.ErrNotExist) {
			return inputChanged(sp, "but it is gone", "restore the file")
		}
		return fmt.Errorf("file source: %w", err)
	}
	if err := r.fingerprint(f, sp); err != nil {
		f.Close()
		return err
	}
	if sp.offset > 0 {
		if _, err := f.Seek(sp.offset, io.SeekStart); err != nil {
			f.Close()
			return fmt.Errorf("file source: %w", err)
		}
	}
	if r.br == nil {
		r.br = bufio.NewReaderSize(f, readBufferSize)
	} else {
		r.br.Reset(f)
	}
	r.f = f
	return nil
}

// readLine returns the next line of sp without its "\n" and trailing "\r",
// and the bytes it took in the file (valid until the next read). At the
// end of the file it returns io.EOF, with the last line if it had no "\n".
// A line longer than the maximum record size is an error.
func (r *reader) readLine(sp *split) (string, []byte, error) {
	chunk, err := r.br.ReadSlice('\n')
	if err == nil {
		if n := recordLen(chunk); n > r.maxRecordSize {
			return "", nil, r.tooLong(sp, n, nil)
		}
		return trimLine(chunk), chunk, nil
	}
	r.long = append(r.long[:0], chunk...)
	for err == bufio.ErrBufferFull {
		// One byte of slack: it may be the "\r" of a "\r\n".
		if int64(len(r.long)) > r.maxRecordSize+1 {
			return "", nil, r.tooLong(sp, int64(len(r.long)), err)
		}
		chunk, err = r.br.ReadSlice('\n')
		r.long = append(r.long, chunk...)
	}
	if err != nil && err != io.EOF {
		return "", nil, fmt.Errorf("file source: read %s at byte %d: %w", sp.path, sp.offset+int64(len(r.long)), err)
	}
	if len(r.long) == 0 {
		return "", nil, err
	}
	if n := recordLen(r.long); n > r.maxRecordSize {
		return "", nil, r.tooLong(sp, n, nil)
	}
	return trimLine(r.long), r.long, err
}

// recordLen is the length of the line raw holds without its line end.
func recordLen(raw []byte) int64 {
	return int64(len(trimSuffixByte(trimSuffixByte(raw, '\n'), '\r')))
}

// tooLong is the error for a line of sp longer than the maximum record
// size, of which n bytes are known. While more of it is buffered (more is
// bufio.ErrBufferFull) it reads on to the line's end, keeping nothing, to
// name the line's size.
func (r *reader) tooLong(sp *split, n int64, more error) error {
	for more == bufio.ErrBufferFull {
		var chunk []byte
		chunk, more = r.br.ReadSlice('\n')
		n += int64(len(trimSuffixByte(chunk, '\n')))
	}
	size := fmt.Sprintf("%d bytes (%s)", n, units.Bytes(n))
	if more != nil && more != io.EOF {
		size = "more than " + size
	}
	return &finalError{sentinel: connector.ErrRecordTooLarge, msg: fmt.Sprintf(
		"file source: %s: the line at byte %d is %s long, over source.max-record-size (%s): "+
			"raise it (e.g. -D source.max-record-size=%s) if such lines are expected, or fix the file; "+
			"not restarted, since a restart would read the same line",
		sp.path, sp.offset, size, units.Bytes(r.maxRecordSize), connector.MaxRecordSizeFor(n))}
}

// finalError is a failure of the reader that a restart cannot cure: its
// message is one line for the user, and it matches sentinel and
// failover.ErrNoRestart with errors.Is.
type finalError struct {
	sentinel error
	msg      string
}

func (e *finalError) Error() string { return e.msg }

func (e *finalError) Is(target error) bool {
	return target == e.sentinel || target == failover.ErrNoRestart
}

// inputChanged is the error for a restored split whose file is not the one
// the checkpoint read; what says what was found, todo what to do first.
func inputChanged(sp *split, what, todo string) error {
	return &finalError{sentinel: ErrInputChanged, msg: fmt.Sprintf(
		"file source: input %s changed since the checkpoint: the checkpoint resumes it at byte %d, %s; "+
			"%s, or start afresh without --from-checkpoint",
		sp.path, sp.offset, what, todo)}
}

// changedWhileRead is the error for a file truncated or rewritten while
// being read.
func changedWhileRead(sp *split, what string) error {
	return &finalError{sentinel: ErrInputChanged, msg: fmt.Sprintf(
		"file source: input %s changed while being read: %d bytes were read, %s, so the rest cannot be read as it was; "+
			"restore the file and resume from the last checkpoint (--from-checkpoint latest), or start afresh",
		sp.path, sp.offset, what)}
}

// fingerprint checks that the file of a split restored from a checkpoint is
// the one the checkpoint read (long enough, the same first bytes, the same
// bytes before the resume offset), and takes the fingerprint of the first
// bytes of a file read from its start.
func (r *reader) fingerprint(f *os.File, sp *split) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("file source: %w", err)
	}
	size := fi.Size()
	if sp.restored && sp.offset > 0 {
		const todo = "restore the file as it was"
		if size < sp.offset {
			return inputChanged(sp, fmt.Sprintf("but it is now %d bytes long: it was truncated or replaced", size), todo)
		}
		if sp.headLen > 0 {
			same, err := sameCRC(f, 0, sp.headLen, sp.headCRC, size)
			if err != nil {
				return fmt.Errorf("file source: check %s against the checkpoint: %w", sp.path, err)
			}
			if !same {
				return inputChanged(sp, fmt.Sprintf("but its first %d bytes differ from those the checkpoint read: it was replaced or rewritten", sp.headLen), todo)
			}
		}
		if sp.tailLen > 0 {
			same, err := sameCRC(f, sp.offset-sp.tailLen, sp.tailLen, sp.tailCRC, size)
			if err != nil {
				return fmt.Errorf("file source: check %s against the checkpoint: %w", sp.path, err)
			}
			if !same {
				return inputChanged(sp, fmt.Sprintf("but the %d bytes before it differ from those the checkpoint read: it was replaced or rewritten", sp.tailLen), todo)
			}
		}
	}
	if sp.headLen == 0 || sp.offset == 0 {
		n := min(size, headSize)
		sum, err := crcAt(f, 0, n)
		if err != nil {
			return fmt.Errorf("file source: read %s: %w", sp.path, err)
		}
		sp.headLen, sp.headCRC, sp.enc = n, sum, nil
	}
	return nil
}

// checkUnchanged checks, at the end of sp's open file, that the file was not
// truncated or rewritten while being read: a read past a truncation just
// ends, so without it the rest of the file would be lost silently.
func (r *reader) checkUnchanged(sp *split) error {
	fi, err := r.f.Stat()
	if err != nil {
		return fmt.Errorf("file source: %w", err)
	}
	size := fi.Size()
	if size < sp.offset {
		return changedWhileRead(sp, fmt.Sprintf("but it is now %d bytes long: it was truncated", size))
	}
	if sp.headLen > 0 {
		same, err := sameCRC(r.f, 0, sp.headLen, sp.headCRC, size)
		if err != nil {
			return fmt.Errorf("file source: read %s: %w", sp.path, err)
		}
		if !same {
			return changedWhileRead(sp, fmt.Sprintf("but its first %d bytes are no longer those read: it was rewritten", sp.headLen))
		}
	}
	return nil
}

// sameCRC reports whether the n bytes of f at off have CRC-32C sum; false
// when the file (of size bytes) is too short to hold them.
func sameCRC(f *os.File, off, n int64, sum uint32, size int64) (bool, error) {
	if off+n > size {
		return false, nil
	}
	got, err := crcAt(f, off, n)
	return got == sum, err
}

// crcAt is the CRC-32C of the n bytes of f at off.
func crcAt(f *os.File, off, n int64) (uint32, error) {
	h := crc32.New(castagnoli)
	if _, err := io.CopyN(h, io.NewSectionReader(f, off, n), n); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

func trimLine(b []byte) string {
	b = trimSuffixByte(b, '\n')
	b = trimSuffixByte(b, '\r')
	return string(b)
}

func trimSuffixByte(b []byte, c byte) []byte {
	if len(b) > 0 && b[len(b)-1] == c {
		return b[:len(b)-1]
	}
	return b
}

// position returns a fresh list of entries, one per split; entries of
// splits that did not move are shared with earlier positions (they are
// never modified).
func (r *reader) position() [][]byte {
	pos := make([][]byte, len(r.splits))
	for i, sp := range r.splits {
		pos[i] = sp.encoded()
	}
	return pos
}

func (r *reader) closeFile() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// Close closes the file being read.
// StartPosition implements connector.StartPositioner: the reader's files,
// none read yet on a fresh start.
func (r *reader) StartPosition() [][]byte { return r.position() }

func (r *reader) Close() error {
	if err := r.closeFile(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("file source: %w", err)
	}
	return nil
}

package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/weirstream/weir/runtime"
)

const readBufferSize = 256 << 10

// Source reads the lines of a file or of the files of a directory. It
// implements runtime.Source[string]; see the package doc.
type Source struct {
	path string
}

var _ runtime.Source[string] = (*Source)(nil)

// NewSource returns a source reading the lines of path: a file, or a
// directory whose regular, non-hidden files are read.
func NewSource(path string) *Source { return &Source{path: path} }

// Identity is "file " and the absolute path (runtime.Identifier): a
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
func (s *Source) CreateReader(ctx runtime.SourceContext) (runtime.SourceReader[string], error) {
	r := &reader{}
	if ctx.Restored != nil {
		for i, e := range ctx.Restored {
			path, off, done, err := decodeEntry(e)
			if err != nil {
				return nil, fmt.Errorf("file source %s: restore: position entry %d of %d: %w", s.path, i+1, len(ctx.Restored), err)
			}
			r.splits = append(r.splits, &split{path: path, offset: off, done: done, enc: slices.Clone(e)})
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
				r.splits = append(r.splits, &split{path: f})
			}
		}
	}
	if ctx.Logger != nil {
		ctx.Logger.Debug("file source reader created", "path", s.path, "files", len(r.splits), "restored", ctx.Restored != nil)
	}
	return r, nil
}

// split is one file of a reader and how far it has been read.
type split struct {
	path   string
	offset int64 // of the next line
	done   bool
	enc    []byte // cached encoding of the fields above; nil when stale
}

func (s *split) entry() []byte {
	if s.enc == nil {
		s.enc = encodeEntry(s.path, s.offset, s.done)
	}
	return s.enc
}

type reader struct {
	splits []*split
	cur    int // index of the split being read
	f      *os.File
	br     *bufio.Reader
	long   []byte // scratch for lines longer than the read buffer
}

var _ runtime.SplitFetcher[string] = (*reader)(nil)

// Fetch implements runtime.SourceReader.
func (r *reader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	return r.fetch(ctx, buf, nil)
}

// FetchSplits implements runtime.SplitFetcher: each file is a split, named
// by its path, finished when its last line has been read.
func (r *reader) FetchSplits(ctx context.Context, buf []string, splits *runtime.SplitBatch) ([]string, [][]byte, error) {
	return r.fetch(ctx, buf, splits)
}

// fetch reads lines into buf; with splits non-nil it also says which file
// each came from.
func (r *reader) fetch(ctx context.Context, buf []string, splits *runtime.SplitBatch) ([]string, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return buf, nil, err
	}
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
		line, n, err := r.readLine()
		if n > 0 {
			sp.offset += n
			sp.enc = nil
			buf = append(buf, line)
			if splits != nil {
				splits.Add(sp.path)
			}
		}
		if err == io.EOF {
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
			return buf, nil, fmt.Errorf("file source: %w", err)
		}
	}
	if r.cur >= len(r.splits) {
		return buf, r.position(), io.EOF
	}
	return buf, r.position(), nil
}

func (r *reader) open(sp *split) error {
	f, err := os.Open(sp.path)
	if err != nil {
		return fmt.Errorf("file source: %w", err)
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

// readLine returns the next line without its "\n" and trailing "\r", and
// the number of bytes it took in the file. At the end of the file it
// returns io.EOF, with the last line if it had no "\n".
func (r *reader) readLine() (string, int64, error) {
	chunk, err := r.br.ReadSlice('\n')
	if err == nil {
		return trimLine(chunk), int64(len(chunk)), nil
	}
	r.long = append(r.long[:0], chunk...)
	for err == bufio.ErrBufferFull {
		chunk, err = r.br.ReadSlice('\n')
		r.long = append(r.long, chunk...)
	}
	if err != nil && err != io.EOF {
		return "", 0, err
	}
	n := int64(len(r.long))
	if n == 0 {
		return "", 0, err
	}
	return trimLine(r.long), n, err
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
		pos[i] = sp.entry()
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
func (r *reader) Close() error {
	if err := r.closeFile(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("file source: %w", err)
	}
	return nil
}

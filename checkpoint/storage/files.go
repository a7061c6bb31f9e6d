package storage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/weirstream/weir/checkpoint"
)

// WriteStateFile writes a state file of checkpoint id to
// "<job>/chk-<id>/<name>" and returns its reference (size, CRC32C). State no
// larger than the inline threshold is not written: the reference holds it
// inline and travels in the metadata. name is one or more '/'-separated
// segments of [A-Za-z0-9._-], not starting with '.', and not "_metadata".
//
// The file is complete or absent: on error nothing is left under its name
// (on a local file system a temporary "<name>.<hex>.tmp" may remain after a
// crash; Discard removes it with the checkpoint).
func (s *Storage) WriteStateFile(ctx context.Context, job string, id checkpoint.ID, name string, r io.Reader) (checkpoint.FileRef, error) {
	if id <= 0 {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: state file %q: invalid checkpoint id %d", name, id)
	}
	if err := validRelPath(name); err != nil {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: invalid state file name %q: %v", name, err)
	}
	if name == MetadataName {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: invalid state file name %q: reserved for the metadata", name)
	}
	return s.writeFile(ctx, job, CheckpointDir(id)+"/"+name, r)
}

// WriteStateBytes is WriteStateFile for data in memory.
func (s *Storage) WriteStateBytes(ctx context.Context, job string, id checkpoint.ID, name string, data []byte) (checkpoint.FileRef, error) {
	return s.WriteStateFile(ctx, job, id, name, bytes.NewReader(data))
}

// WriteSharedFile writes a file to "<job>/shared/<name>", for state that
// several checkpoints reference (incremental checkpoints). Discard does not
// delete shared files: their owner counts references. Never inlined.
func (s *Storage) WriteSharedFile(ctx context.Context, job string, name string, r io.Reader) (checkpoint.FileRef, error) {
	if err := validRelPath(name); err != nil {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: invalid shared file name %q: %v", name, err)
	}
	rel := SharedDir + "/" + name
	size, crc, err := s.writeObject(ctx, s.key(job, rel), r, false)
	if err != nil {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: write %s: %w", rel, err)
	}
	return checkpoint.FileRef{Path: rel, Size: size, CRC32C: crc}, nil
}

func (s *Storage) writeFile(ctx context.Context, job, rel string, r io.Reader) (checkpoint.FileRef, error) {
	if t := s.opts.inlineThreshold; t >= 0 {
		br := bufio.NewReaderSize(r, max(t+1, 16))
		head, err := br.Peek(t + 1)
		switch {
		case errors.Is(err, io.EOF):
			return checkpoint.InlineRef(bytes.Clone(head)), nil
		case err != nil:
			return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: read state for %s: %w", rel, err)
		}
		r = br
	}
	size, crc, err := s.writeObject(ctx, s.key(job, rel), r, false)
	if err != nil {
		return checkpoint.FileRef{}, fmt.Errorf("checkpoint storage: write %s: %w", rel, err)
	}
	return checkpoint.FileRef{Path: rel, Size: size, CRC32C: crc}, nil
}

// OpenStateFile opens the state a reference points at (a file, or the inline
// bytes). The reader verifies size and CRC32C: at the end of the data it
// returns an error wrapping ErrCorrupt, naming the file, instead of io.EOF
// if either differs. A missing file is reported the same way (reason
// "missing"). Read to io.EOF before trusting the data.
func (s *Storage) OpenStateFile(ctx context.Context, job string, ref checkpoint.FileRef) (io.ReadCloser, error) {
	if ref.IsInline() {
		if int64(len(ref.Inline)) != ref.Size {
			return nil, &CorruptError{Path: "<inline state>", Reason: fmt.Sprintf("size %d, expected %d", len(ref.Inline), ref.Size)}
		}
		if c := crc32.Checksum(ref.Inline, castagnoli); c != ref.CRC32C {
			return nil, &CorruptError{Path: "<inline state>", Reason: fmt.Sprintf("checksum mismatch (CRC32C %08x, expected %08x)", c, ref.CRC32C)}
		}
		return io.NopCloser(bytes.NewReader(ref.Inline)), nil
	}
	if err := validRelPath(ref.Path); err != nil {
		return nil, &CorruptError{Path: ref.Path, Reason: "invalid path in metadata: " + err.Error()}
	}
	r, err := s.bucket.Get(ctx, s.key(job, ref.Path))
	if isNotFound(err) {
		return nil, &CorruptError{Path: ref.Path, Reason: "missing", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: open %s: %w", ref.Path, err)
	}
	if r.Size() != ref.Size {
		_ = r.Close()
		return nil, &CorruptError{Path: ref.Path, Reason: fmt.Sprintf("size %d, expected %d", r.Size(), ref.Size)}
	}
	return &verifyingReader{r: r, ref: ref, h: crc32.New(castagnoli)}, nil
}

// ReadStateFile reads and verifies the whole state a reference points at.
func (s *Storage) ReadStateFile(ctx context.Context, job string, ref checkpoint.FileRef) ([]byte, error) {
	rc, err := s.OpenStateFile(ctx, job, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := bytes.NewBuffer(make([]byte, 0, max(ref.Size, 0)))
	if _, err := io.Copy(buf, rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// verifyingReader checks size and CRC32C at the end of a state file.
type verifyingReader struct {
	r   io.ReadCloser
	ref checkpoint.FileRef
	h   hash.Hash32
	n   int64
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.ref.Size {
		return n, &CorruptError{Path: v.ref.Path, Reason: fmt.Sprintf("longer than its recorded size %d", v.ref.Size)}
	}
	if errors.Is(err, io.EOF) {
		if v.n != v.ref.Size {
			return n, &CorruptError{Path: v.ref.Path, Reason: fmt.Sprintf("size %d, expected %d (truncated)", v.n, v.ref.Size)}
		}
		if c := v.h.Sum32(); c != v.ref.CRC32C {
			return n, &CorruptError{Path: v.ref.Path, Reason: fmt.Sprintf("checksum mismatch (CRC32C %08x, expected %08x)", c, v.ref.CRC32C)}
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.r.Close() }

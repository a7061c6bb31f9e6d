package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

// Metadata file format; docs/format.md draws it byte by byte.
const (
	metadataMagic = "WCKP"
	// metadataVersion is the version written. Version 1 (before keyed
	// state handles had a format) is still read.
	metadataVersion = 2
	headerLen       = 16 // magic 4, version 2, flags 2, body length 8
	trailerLen      = 4  // CRC32C of header and body
	// MaxMetadataSize bounds what ReadMetadata accepts (256 MiB).
	MaxMetadataSize = 256 << 20
)

// EncodeMetadata encodes a completed checkpoint in the metadata format
// (version 1). The encoding is deterministic: maps are written in key order.
// ExternalPath is not encoded.
func EncodeMetadata(cp *checkpoint.CompletedCheckpoint) []byte {
	var e encoder
	e.varint(int64(cp.ID))
	e.str(cp.Job)
	e.u8(uint8(cp.Kind))
	e.time(cp.Timestamp)
	e.varint(int64(cp.Duration))
	e.varint(cp.StateSize)
	e.varint(cp.CheckpointedSize)
	keys := slices.Sorted(maps.Keys(cp.Properties))
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(cp.Properties[k])
	}
	uids := slices.Sorted(maps.Keys(cp.Operators))
	e.uvarint(uint64(len(uids)))
	for _, uid := range uids {
		op := cp.Operators[uid]
		e.str(uid)
		e.uvarint(uint64(op.Parallelism))
		e.uvarint(uint64(op.MaxParallelism))
		e.uvarint(uint64(len(op.Subtasks)))
		for i := range op.Subtasks {
			e.subtaskState(&op.Subtasks[i])
		}
	}
	e.uvarint(uint64(len(cp.Tasks)))
	for _, t := range cp.Tasks {
		e.uvarint(uint64(t.Task.Vertex))
		e.uvarint(uint64(t.Task.Subtask))
		e.time(t.AckTime)
		m := t.Metrics
		for _, d := range []time.Duration{m.StartDelay, m.Alignment, m.SyncDuration, m.AsyncDuration} {
			e.varint(int64(d))
		}
		for _, n := range []int64{m.AlignmentBuffered, m.ProcessedData, m.PersistedData, m.StateSize, m.CheckpointedSize} {
			e.varint(n)
		}
	}

	return frame(e.b)
}

// DecodeMetadata decodes metadata written by EncodeMetadata. It verifies the
// magic number, version, length and CRC32C before it looks at the body, and
// never panics: damaged input gives an error wrapping ErrCorrupt (or
// ErrUnsupportedVersion).
func DecodeMetadata(data []byte) (*checkpoint.CompletedCheckpoint, error) {
	corrupt := func(format string, a ...any) error {
		return &CorruptError{Path: MetadataName, Reason: fmt.Sprintf(format, a...)}
	}
	if len(data) < headerLen+trailerLen {
		return nil, corrupt("%d bytes, too short for metadata (truncated)", len(data))
	}
	if string(data[:4]) != metadataMagic {
		return nil, corrupt("not checkpoint metadata (magic %q, expected %q)", data[:4], metadataMagic)
	}
	version := binary.BigEndian.Uint16(data[4:])
	if version != 1 && version != metadataVersion {
		return nil, fmt.Errorf("%s: %w %d (this build reads versions 1 to %d)", MetadataName, ErrUnsupportedVersion, version, metadataVersion)
	}
	if f := binary.BigEndian.Uint16(data[6:]); f != 0 {
		return nil, corrupt("unknown flags %#04x", f)
	}
	bodyLen := binary.BigEndian.Uint64(data[8:])
	if bodyLen != uint64(len(data)-headerLen-trailerLen) {
		return nil, corrupt("body length %d, but the file holds %d bytes of body (truncated or extended)", bodyLen, len(data)-headerLen-trailerLen)
	}
	end := len(data) - trailerLen
	if want, got := binary.BigEndian.Uint32(data[end:]), crc32.Checksum(data[:end], castagnoli); want != got {
		return nil, corrupt("checksum mismatch (CRC32C %08x, expected %08x)", got, want)
	}
	d := decoder{b: data[headerLen:end], version: version}
	cp := &checkpoint.CompletedCheckpoint{}
	cp.ID = checkpoint.ID(d.varint())
	cp.Job = d.str()
	cp.Kind = checkpoint.Kind(d.u8())
	cp.Timestamp = d.time()
	cp.Duration = time.Duration(d.varint())
	cp.StateSize = d.varint()
	cp.CheckpointedSize = d.varint()
	n := d.count()
	cp.Properties = make(map[string]string, n)
	for range n {
		k := d.str()
		cp.Properties[k] = d.str()
	}
	n = d.count()
	cp.Operators = make(map[string]*checkpoint.OperatorState, n)
	for range n {
		uid := d.str()
		op := &checkpoint.OperatorState{Parallelism: d.int(), MaxParallelism: d.int()}
		m := d.count()
		op.Subtasks = make([]checkpoint.OperatorSubtaskState, 0, m)
		for range m {
			st := d.subtaskState()
			st.OperatorUID = uid
			op.Subtasks = append(op.Subtasks, st)
		}
		if d.err == nil {
			if _, dup := cp.Operators[uid]; dup {
				d.fail("operator %q appears twice", uid)
			}
		}
		cp.Operators[uid] = op
	}
	n = d.count()
	cp.Tasks = make([]checkpoint.TaskAck, 0, n)
	for range n {
		t := checkpoint.TaskAck{Task: checkpoint.SubtaskKey{Vertex: d.int(), Subtask: d.int()}, AckTime: d.time()}
		m := &t.Metrics
		for _, p := range []*time.Duration{&m.StartDelay, &m.Alignment, &m.SyncDuration, &m.AsyncDuration} {
			*p = time.Duration(d.varint())
		}
		for _, p := range []*int64{&m.AlignmentBuffered, &m.ProcessedData, &m.PersistedData, &m.StateSize, &m.CheckpointedSize} {
			*p = d.varint()
		}
		cp.Tasks = append(cp.Tasks, t)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the last field", len(d.b))
	}
	if d.err == nil && cp.ID <= 0 {
		d.fail("invalid checkpoint id %d", cp.ID)
	}
	if d.err != nil {
		return nil, &CorruptError{Path: MetadataName, Reason: d.err.Error()}
	}
	return cp, nil
}

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)       { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }

// time encodes nanoseconds since the Unix epoch; the zero time as 0.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.varint(0)
		return
	}
	e.varint(t.UnixNano())
}

func (e *encoder) file(f checkpoint.FileRef) {
	var flags uint8
	if f.IsInline() {
		flags |= 1
	}
	e.u8(flags)
	e.str(f.Path)
	e.varint(f.Size)
	e.b = binary.BigEndian.AppendUint32(e.b, f.CRC32C)
	if f.IsInline() {
		e.bytes(f.Inline)
	}
}

func (e *encoder) offsets(o []int64) {
	e.uvarint(uint64(len(o)))
	for _, v := range o {
		e.varint(v)
	}
}

func (e *encoder) subtaskState(s *checkpoint.OperatorSubtaskState) {
	e.uvarint(uint64(s.Subtask))
	e.uvarint(uint64(len(s.Keyed)))
	for _, k := range s.Keyed {
		e.varint(int64(k.KeyGroups.Start))
		e.varint(int64(k.KeyGroups.End))
		if k.Format == checkpoint.FormatPebble {
			e.u8(keyedFormatPebble)
			e.uvarint(uint64(len(k.Files)))
			for _, f := range k.Files {
				e.str(f.Name)
				e.file(f.File)
			}
			continue
		}
		e.u8(keyedFormatSections)
		e.file(k.File)
		e.offsets(k.Offsets)
	}
	e.uvarint(uint64(len(s.Operator)))
	for _, o := range s.Operator {
		e.file(o.File)
		e.uvarint(uint64(len(o.States)))
		for _, st := range o.States {
			e.str(st.Name)
			e.u8(uint8(st.Mode))
			e.offsets(st.Offsets)
		}
	}
	e.uvarint(uint64(len(s.InFlight)))
	for _, f := range s.InFlight {
		e.file(f)
	}
}

// decoder reads the body; the first error sticks and later reads return
// zero values, so decoding code need not check after every field.
type decoder struct {
	b       []byte
	err     error
	version uint16
}

// Keyed state handle formats in version 2.
const (
	keyedFormatSections uint8 = 0
	keyedFormatPebble   uint8 = 1
)

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, a...)
	}
	d.b = nil
}

func (d *decoder) u8() uint8 {
	if len(d.b) < 1 {
		d.fail("unexpected end of metadata")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.fail("unexpected end of metadata")
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a uvarint that must fit an int32 (parallelism, indexes).
func (d *decoder) int() int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.fail("value %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads an element count; every element takes at least one byte, so
// a count larger than what is left is damage (and would allocate wildly).
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail("count %d exceeds the %d bytes left", v, len(d.b))
		return 0
	}
	return int(v)
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("length %d exceeds the %d bytes left", n, len(d.b))
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) time() time.Time {
	v := d.varint()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (d *decoder) file() checkpoint.FileRef {
	flags := d.u8()
	if flags&^1 != 0 {
		d.fail("unknown file flags %#02x", flags)
	}
	f := checkpoint.FileRef{Path: d.str(), Size: d.varint(), CRC32C: d.u32()}
	if flags&1 != 0 {
		f.Inline = bytes.Clone(d.raw())
		if f.Inline == nil {
			f.Inline = []byte{}
		}
	}
	if d.err == nil && f.Size < 0 {
		d.fail("negative file size %d", f.Size)
	}
	return f
}

func (d *decoder) offsets() []int64 {
	n := d.count()
	if n == 0 {
		return nil
	}
	o := make([]int64, n)
	for i := range o {
		o[i] = d.varint()
	}
	return o
}

func (d *decoder) subtaskState() checkpoint.OperatorSubtaskState {
	s := checkpoint.OperatorSubtaskState{Subtask: d.int()}
	if n := d.count(); n > 0 {
		s.Keyed = make([]checkpoint.KeyedStateHandle, 0, n)
		for range n {
			k := checkpoint.KeyedStateHandle{KeyGroups: checkpoint.KeyGroupRange{Start: int(d.varint()), End: int(d.varint())}}
			format := keyedFormatSections
			if d.version >= 2 {
				format = d.u8()
			}
			switch format {
			case keyedFormatSections:
				k.File = d.file()
				k.Offsets = d.offsets()
			case keyedFormatPebble:
				k.Format = checkpoint.FormatPebble
				m := d.count()
				k.Files = make([]checkpoint.NamedFile, 0, m)
				for range m {
					k.Files = append(k.Files, checkpoint.NamedFile{Name: d.str(), File: d.file()})
				}
			default:
				d.fail("unknown keyed state format %d", format)
			}
			s.Keyed = append(s.Keyed, k)
		}
	}
	if n := d.count(); n > 0 {
		s.Operator = make([]checkpoint.OperatorStateHandle, 0, n)
		for range n {
			o := checkpoint.OperatorStateHandle{File: d.file()}
			if m := d.count(); m > 0 {
				o.States = make([]checkpoint.NamedListState, 0, m)
				for range m {
					o.States = append(o.States, checkpoint.NamedListState{Name: d.str(), Mode: checkpoint.Distribution(d.u8()), Offsets: d.offsets()})
				}
			}
			s.Operator = append(s.Operator, o)
		}
	}
	if n := d.count(); n > 0 {
		s.InFlight = make([]checkpoint.FileRef, 0, n)
		for range n {
			s.InFlight = append(s.InFlight, d.file())
		}
	}
	return s
}

// WriteMetadata publishes cp as "<job>/chk-<id>/_metadata", which makes the
// checkpoint complete. It refuses (ErrExists) to replace metadata that is
// already there. On success cp.ExternalPath is set.
//
// Atomicity and durability: on a local file system every state file was
// fsynced when written; WriteMetadata fsyncs the directories chk-<id>,
// shared, taskowned, the job's and the root, writes the metadata to a
// temporary file next to its final name, fsyncs it, renames it to _metadata
// (internal/objstore's Dir.Put) and fsyncs chk-<id> again. On
// S3 the object becomes visible whole when its PUT completes. A reader thus
// sees either no _metadata or all of it, with every file it references.
func (s *Storage) WriteMetadata(ctx context.Context, job string, cp *checkpoint.CompletedCheckpoint) error {
	if cp.ID <= 0 {
		return fmt.Errorf("checkpoint storage: metadata with invalid checkpoint id %d", cp.ID)
	}
	dir := CheckpointDir(cp.ID)
	rel := dir + "/" + MetadataName
	key := s.key(job, rel)
	if ok, err := exists(ctx, s.bucket, key); err != nil {
		return fmt.Errorf("checkpoint storage: check %s: %w", rel, err)
	} else if ok {
		return fmt.Errorf("checkpoint storage: %s %w; refusing to overwrite checkpoint %d", s.ExternalPath(job, cp.ID), ErrExists, cp.ID)
	}
	jd := JobDir(job)
	for _, d := range []string{jd + "/" + dir, jd + "/" + SharedDir, jd + "/" + TaskOwnedDir, jd, ""} {
		if err := s.syncDir(d); err != nil {
			return fmt.Errorf("checkpoint storage: fsync %s: %w", d, err)
		}
	}
	if _, _, err := s.writeObject(ctx, key, bytes.NewReader(EncodeMetadata(cp)), true); err != nil {
		return fmt.Errorf("checkpoint storage: write %s: %w", rel, err)
	}
	if err := s.syncDir(jd + "/" + dir); err != nil {
		return fmt.Errorf("checkpoint storage: fsync %s: %w", dir, err)
	}
	cp.ExternalPath = s.ExternalPath(job, cp.ID)
	return nil
}

// ReadMetadata reads and decodes the metadata of checkpoint id of job. It
// does not check the state files (Verify does). Errors wrap ErrNotFound,
// ErrIncomplete (the directory exists without _metadata), ErrCorrupt or
// ErrUnsupportedVersion.
func (s *Storage) ReadMetadata(ctx context.Context, job string, id checkpoint.ID) (*checkpoint.CompletedCheckpoint, error) {
	dir := CheckpointDir(id)
	rel := dir + "/" + MetadataName
	r, err := s.bucket.Get(ctx, s.key(job, rel))
	if isNotFound(err) {
		if s.dirExists(ctx, s.key(job, dir)+"/") {
			return nil, fmt.Errorf("checkpoint %d of job %s is %w", id, JobDir(job), ErrIncomplete)
		}
		return nil, fmt.Errorf("checkpoint %d of job %s %w in %s", id, JobDir(job), ErrNotFound, s.Location())
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: open %s: %w", rel, err)
	}
	defer r.Close()
	if r.Size() > MaxMetadataSize {
		return nil, &CorruptError{Path: rel, Reason: fmt.Sprintf("%d bytes, more than the %d a metadata file may have", r.Size(), MaxMetadataSize)}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: read %s: %w", rel, err)
	}
	cp, err := DecodeMetadata(data)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			return nil, &CorruptError{Path: rel, Reason: ce.Reason}
		}
		return nil, fmt.Errorf("%s/%w", dir, err)
	}
	if cp.ID != id {
		return nil, &CorruptError{Path: rel, Reason: fmt.Sprintf("holds checkpoint %d, not %d", cp.ID, id)}
	}
	cp.ExternalPath = s.ExternalPath(job, id)
	return cp, nil
}

// dirExists reports whether any object has the key prefix.
func (s *Storage) dirExists(ctx context.Context, prefix string) bool {
	for _, err := range s.bucket.List(ctx, prefix, "") {
		return err == nil
	}
	return false
}

// frame wraps a body in the header (magic, version, flags 0, body length)
// and the trailer (CRC32C of header and body).
func frame(body []byte) []byte {
	out := make([]byte, headerLen, headerLen+len(body)+trailerLen)
	copy(out, metadataMagic)
	binary.BigEndian.PutUint16(out[4:], metadataVersion)
	binary.BigEndian.PutUint64(out[8:], uint64(len(body)))
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

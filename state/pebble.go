package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// ErrBackendMismatch means a checkpoint's keyed state was written by the
// other state backend than the one the job runs: the formats differ and
// state is not converted.
var ErrBackendMismatch = errors.New("state: checkpoint written by another state backend")

// PebbleOptions configure a pebble-backed KeyedBackend.
type PebbleOptions struct {
	// Dir is the operator subtask's own local directory. The database lives
	// in a fresh subdirectory; local checkpoint copies in "chk-<id>".
	Dir string
	// WriteBufferSize is the memtable size in bytes; BlockCacheSize the
	// block cache's. Zero picks 64 MiB for both (see the options
	// state.backend.rocksdb.writebuffer.size and block.cache-size).
	WriteBufferSize, BlockCacheSize int64
	// CacheSize bounds the write-back cache of recently used entries in
	// front of the database (stateCache); zero picks 32 MiB.
	CacheSize int64
	// LocalRecovery keeps each checkpoint's local copy until a newer
	// checkpoint completes, so that a restart in this process opens it
	// instead of downloading the files.
	LocalRecovery bool
	Logger        *slog.Logger
}

// PebbleRestore is one pebble-format keyed state handle to restore from.
type PebbleRestore struct {
	KeyGroups  keygroup.Range
	Checkpoint int64
	Files      []PebbleFile
}

// PebbleFile is one file of a PebbleRestore.
type PebbleFile struct {
	Name string
	Size int64
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// pebbleStore is the database of one pebble-backed KeyedBackend.
type pebbleStore struct {
	db    *pebble.DB
	cache *stateCache
	opts  PebbleOptions
	dbDir string
	log   *slog.Logger
	disk  *diskWatch
	// Restored says how the database came to be, for logs and tests:
	// "empty", "downloaded", "local" or "rescaled".
	restored string
}

// wo: writes are not synced; checkpoints make state durable, and the WAL
// is off (a restart restores from a checkpoint, never from the WAL).
var wo = pebble.NoSync

// NewPebbleBackend returns a keyed backend that keeps its state in a Pebble
// database on local disk, restored from restores (nil on a fresh start;
// several, or one for other key groups, after a change of parallelism).
// Close must be called when the operator ends.
func NewPebbleBackend[K comparable](ctx context.Context, kc codec.Codec[K], maxParallelism int, r keygroup.Range, o PebbleOptions, restores []PebbleRestore) (*KeyedBackend[K], error) {
	if o.WriteBufferSize <= 0 {
		o.WriteBufferSize = 64 << 20
	}
	if o.BlockCacheSize <= 0 {
		o.BlockCacheSize = 64 << 20
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 32 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("pebble state: %w", err)
	}
	dbDir, err := os.MkdirTemp(o.Dir, "db-")
	if err != nil {
		return nil, fmt.Errorf("pebble state: %w", err)
	}
	s := &pebbleStore{opts: o, dbDir: dbDir, log: o.Logger, restored: "empty",
		disk: newDiskWatch(o.Dir, o.WriteBufferSize, o.Logger)}
	start := time.Now()
	if err := s.open(ctx, r, restores); err != nil {
		if s.db != nil {
			_ = s.db.Close()
		}
		_ = os.RemoveAll(dbDir)
		return nil, err
	}
	if len(restores) > 0 {
		var files int
		var bytes int64
		for _, rs := range restores {
			files += len(rs.Files)
			for _, f := range rs.Files {
				bytes += f.Size
			}
		}
		s.log.Info("restored pebble state", "how", s.restored, "checkpoint", restores[0].Checkpoint,
			"handles", len(restores), "files", files, "bytes", bytes, "duration", time.Since(start).Round(time.Millisecond))
	}
	b := NewKeyedBackend(kc, maxParallelism, r)
	b.pb = s
	return b, nil
}

// openDB opens the database in dir; the block cache is its own (Open
// takes a reference, ours is dropped at once).
func (s *pebbleStore) openDB(dir string, readOnly bool) (*pebble.DB, error) {
	c := pebble.NewCache(s.opts.BlockCacheSize)
	defer c.Unref()
	return pebble.Open(dir, s.options(c, readOnly))
}

func (s *pebbleStore) options(c *pebble.Cache, readOnly bool) *pebble.Options {
	o := &pebble.Options{
		Cache:        c,
		MemTableSize: uint64(s.opts.WriteBufferSize),
		DisableWAL:   true,
		Merger:       pebble.DefaultMerger, // concatenation: ListState.Add
		Logger:       pebbleLogger{s.log},
		ReadOnly:     readOnly,
		// Pebble retries a failed flush at once and for ever, and by
		// default logs each failure: a full disk would hang the task and
		// flood the log. The watch records ENOSPC, so the task fails, and
		// logs one line per interval.
		EventListener: &pebble.EventListener{BackgroundError: s.disk.backgroundError},
	}
	// State reads are point lookups, most for keys seen before and many
	// (a first record per key) for keys absent: bloom filters (10 bits
	// per key, about 1% false positives) spare an SST read per level.
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return o
}

// open fills dbDir from restores and opens the database.
func (s *pebbleStore) open(ctx context.Context, mine keygroup.Range, restores []PebbleRestore) error {
	switch {
	case len(restores) == 1 && restores[0].KeyGroups == mine:
		r := restores[0]
		if s.opts.LocalRecovery && s.linkLocal(r) {
			s.restored = "local"
		} else {
			if err := download(ctx, r.Files, s.dbDir); err != nil {
				return err
			}
			s.restored = "downloaded"
		}
	case len(restores) > 0:
		s.restored = "rescaled"
	}
	db, err := s.openDB(s.dbDir, false)
	if err != nil {
		return fmt.Errorf("pebble state: open %s: %w", s.dbDir, err)
	}
	s.db = db
	s.cache = newStateCache(db, s.opts.CacheSize)
	s.cache.disk = s.disk
	if s.restored == "rescaled" {
		for i, r := range restores {
			if err := s.copyGroups(ctx, r, mine, filepath.Join(s.opts.Dir, "restore-"+strconv.Itoa(i))); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkLocal fills dbDir from the local copy of checkpoint r, when one
// exists with exactly r's files and sizes: SSTs are hard-linked (they never
// change), the other files (MANIFEST, OPTIONS, markers, which the opened
// database appends to or replaces) are copied, so the local copy stays as
// it was for another restart.
func (s *pebbleStore) linkLocal(r PebbleRestore) bool {
	src := filepath.Join(s.opts.Dir, "chk-"+strconv.FormatInt(r.Checkpoint, 10))
	for _, f := range r.Files {
		fi, err := os.Stat(filepath.Join(src, f.Name))
		if err != nil || fi.Size() != f.Size {
			return false
		}
	}
	for _, f := range r.Files {
		from, to := filepath.Join(src, f.Name), filepath.Join(s.dbDir, f.Name)
		var err error
		if immutableFile(f.Name) {
			err = os.Link(from, to)
		} else {
			err = copyFile(from, to)
		}
		if err != nil {
			s.log.Warn("local recovery failed; downloading", "checkpoint", r.Checkpoint, "err", err)
			_ = os.RemoveAll(s.dbDir)
			_ = os.MkdirAll(s.dbDir, 0o755)
			return false
		}
	}
	return true
}

// immutableFile reports whether a database file never changes under its
// name: SSTs and blob files.
func immutableFile(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

func copyFile(from, to string) error {
	r, err := os.Open(from)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeFile(to, r)
}

// writeFile creates path with what r reads.
func writeFile(path string, r io.Reader) error {
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// download copies files from checkpoint storage into dir; each reader
// checks size and checksum at the end.
func download(ctx context.Context, files []PebbleFile, dir string) error {
	for _, f := range files {
		if err := downloadOne(ctx, f, dir); err != nil {
			return fmt.Errorf("pebble state: restore %s: %w", f.Name, err)
		}
	}
	return nil
}

func downloadOne(ctx context.Context, f PebbleFile, dir string) error {
	if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == ".." {
		return fmt.Errorf("%w: bad file name %q", ErrCorruptState, f.Name)
	}
	r, err := f.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeFile(filepath.Join(dir, f.Name), r)
}

// copyGroups downloads r into tmp, opens it read-only and copies the keys
// of the key groups in both r and mine into the database.
func (s *pebbleStore) copyGroups(ctx context.Context, r PebbleRestore, mine keygroup.Range, tmp string) error {
	lo, hi := max(r.KeyGroups.Start, mine.Start), min(r.KeyGroups.End, mine.End)
	if lo >= hi {
		return nil
	}
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := download(ctx, r.Files, tmp); err != nil {
		return err
	}
	src, err := s.openDB(tmp, true)
	if err != nil {
		return fmt.Errorf("pebble state: open restored %s: %w", tmp, err)
	}
	defer src.Close()
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: groupPrefix(lo), UpperBound: groupPrefix(hi)})
	if err != nil {
		return err
	}
	defer it.Close()
	batch := s.db.NewBatch()
	defer func() { batch.Close() }()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := batch.Set(it.Key(), v, nil); err != nil {
			return err
		}
		if batch.Len() >= 4<<20 {
			if err := batch.Commit(wo); err != nil {
				return err
			}
			batch.Close()
			batch = s.db.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return batch.Commit(wo)
}

// close closes the database and removes its directory; local checkpoint
// copies stay for local recovery, unless it is off.
func (s *pebbleStore) close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
		s.db = nil
	}
	if rerr := os.RemoveAll(s.dbDir); err == nil {
		err = rerr
	}
	if !s.opts.LocalRecovery {
		s.dropLocal(-1)
	}
	return err
}

// dropLocal removes the local checkpoint copies older than keep (all when
// keep is negative).
func (s *pebbleStore) dropLocal(keep int64) {
	entries, _ := os.ReadDir(s.opts.Dir)
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), "chk-")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(n, 10, 64)
		if err == nil && (keep < 0 || id < keep) {
			_ = os.RemoveAll(filepath.Join(s.opts.Dir, e.Name()))
		}
	}
}

// PebbleSnapshot is a checkpoint of a pebble backend: the hard-linked files
// of a Pebble checkpoint in a local directory. It implements
// operator.FileSnapshot.
type PebbleSnapshot struct {
	dir   string
	files []SnapshotFile
	keep  bool
}

// SnapshotFile is one file of a PebbleSnapshot.
type SnapshotFile struct {
	Name string // name in the database directory
	Path string // local path of the copy
	// Immutable is set for SSTs (and blob files): a name always means the
	// same content, so an incremental checkpoint uploads each once.
	Immutable bool
}

// snapshot flushes the memtable and takes a Pebble checkpoint into
// "<Dir>/chk-<id>": hard links of the SSTs and copies of the small
// metadata files, in time that grows with the memtable, not the state.
func (s *pebbleStore) snapshot(id int64) (*PebbleSnapshot, error) {
	if err := s.cache.flush(); err != nil {
		return nil, err
	}
	if err := s.flushMemtable(); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.opts.Dir, "chk-"+strconv.FormatInt(id, 10))
	if err := os.RemoveAll(dir); err != nil { // left by an earlier attempt
		return nil, err
	}
	if err := s.db.Checkpoint(dir); err != nil {
		return nil, fmt.Errorf("pebble state: checkpoint: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &PebbleSnapshot{dir: dir, keep: s.opts.LocalRecovery}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		p.files = append(p.files, SnapshotFile{Name: name, Path: filepath.Join(dir, name), Immutable: immutableFile(name)})
	}
	return p, nil
}

// flushMemtable flushes the memtable, or fails with ErrLocalDiskFull when
// the local directory is full (pebble would wait for ever).
func (s *pebbleStore) flushMemtable() error {
	if err := s.disk.err(); err != nil {
		return err
	}
	flushed, err := s.db.AsyncFlush()
	if err != nil {
		return fmt.Errorf("pebble state: flush: %w", err)
	}
	select {
	case <-flushed:
		return nil
	case <-s.disk.fullCh:
		return s.disk.err()
	}
}

// Files lists the snapshot's files.
func (p *PebbleSnapshot) Files() []SnapshotFile { return p.files }

// Release deletes the local copy unless local recovery keeps it.
func (p *PebbleSnapshot) Release() {
	if !p.keep {
		_ = os.RemoveAll(p.dir)
	}
}

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug("pebble: " + fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Warn("pebble: " + fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(msg)
}

// ---- keys ----
//
// A key is  group:u16be  namelen:uvarint name  keylen:uvarint key  [ukey]
// so that a key group is one contiguous range, a state of a group one
// range within it, and a MapState of one key one range within that.

func groupPrefix(g int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(g)) }

// stateKey appends the key of the current key's entry of state name.
func appendStateKey(dst []byte, group int, name []byte, key []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(group))
	dst = append(dst, name...)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	return append(dst, key...)
}

// prefixEnd is the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// pebbleTable is what the tables of the pebble backend share.
type pebbleTable[K comparable] struct {
	b    *KeyedBackend[K]
	name []byte // namelen:uvarint name
	buf  []byte
}

func newPebbleTable[K comparable](b *KeyedBackend[K], name string) pebbleTable[K] {
	n := binary.AppendUvarint(nil, uint64(len(name)))
	return pebbleTable[K]{b: b, name: append(n, name...)}
}

// key is the current key's entry key; valid until the next call.
func (t *pebbleTable[K]) key() []byte {
	t.buf = appendStateKey(t.buf[:0], t.b.groups.Start+t.b.curIdx, t.name, t.b.curKey)
	return t.buf
}

// decodeAll decodes b, which must hold exactly one value of state.
func decodeAll[V any](c codec.Codec[V], b []byte, state []byte) (V, error) {
	v, n, err := c.Decode(b)
	if err == nil && n != len(b) {
		err = fmt.Errorf("%d bytes after the value", len(b)-n)
	}
	if err != nil {
		return v, fmt.Errorf("%w: state %s: %w", ErrCorruptState, state, err)
	}
	return v, nil
}

// ---- ValueState ----

type pebbleValue[K comparable, V any] struct {
	pebbleTable[K]
	vc  codec.Codec[V]
	enc []byte
}

func (*pebbleValue[K, V]) kind() string   { return fmt.Sprintf("ValueState[%T]", *new(V)) }
func (*pebbleValue[K, V]) kindByte() byte { return kindValue }

func (t *pebbleValue[K, V]) Value() (V, bool, error) {
	var zero V
	raw, ok, err := t.b.pb.cache.get(t.key())
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := decodeAll(t.vc, raw, t.name)
	return v, err == nil, err
}

func (t *pebbleValue[K, V]) Update(v V) error {
	t.enc = t.vc.Append(t.enc[:0], v)
	return t.b.pb.cache.set(t.key(), t.enc)
}

func (t *pebbleValue[K, V]) Clear() error { return t.b.pb.cache.del(t.key()) }

// ---- ListState: elements as  len:uvarint bytes, appended by Merge ----

type pebbleList[K comparable, V any] struct {
	pebbleTable[K]
	vc  codec.Codec[V]
	enc []byte
	// elems is the scratch space of Add and Update: the cache copies what
	// it is given.
	elems []byte
}

func (*pebbleList[K, V]) kind() string   { return fmt.Sprintf("ListState[%T]", *new(V)) }
func (*pebbleList[K, V]) kindByte() byte { return kindList }

func (t *pebbleList[K, V]) Get() ([]V, error) {
	raw, ok, err := t.b.pb.cache.get(t.key())
	if err != nil || !ok {
		return nil, err
	}
	var out []V
	for len(raw) > 0 {
		n, k := binary.Uvarint(raw)
		if k <= 0 || uint64(len(raw)-k) < n {
			return nil, fmt.Errorf("%w: state %s: bad list element", ErrCorruptState, t.name)
		}
		v, err := decodeAll(t.vc, raw[k:k+int(n)], t.name)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		raw = raw[k+int(n):]
	}
	return out, nil
}

func (t *pebbleList[K, V]) element(dst []byte, v V) []byte {
	t.enc = t.vc.Append(t.enc[:0], v)
	dst = binary.AppendUvarint(dst, uint64(len(t.enc)))
	return append(dst, t.enc...)
}

func (t *pebbleList[K, V]) Add(v V) error {
	t.elems = t.element(t.elems[:0], v)
	return t.b.pb.cache.merge(t.key(), t.elems)
}

func (t *pebbleList[K, V]) Update(vs []V) error {
	if len(vs) == 0 {
		return t.Clear()
	}
	t.elems = t.elems[:0]
	for _, v := range vs {
		t.elems = t.element(t.elems, v)
	}
	return t.b.pb.cache.set(t.key(), t.elems)
}

func (t *pebbleList[K, V]) Clear() error { return t.b.pb.cache.del(t.key()) }

// ---- MapState: one entry per user key, ukey appended to the key ----

type pebbleMap[K, UK comparable, UV any] struct {
	pebbleTable[K]
	ukc codec.Codec[UK]
	uvc codec.Codec[UV]
	enc []byte
}

func (*pebbleMap[K, UK, UV]) kind() string {
	return fmt.Sprintf("MapState[%T]%T", *new(UK), *new(UV))
}
func (*pebbleMap[K, UK, UV]) kindByte() byte { return kindMap }

func (t *pebbleMap[K, UK, UV]) userKey(uk UK) []byte {
	return t.ukc.Append(t.key(), uk)
}

func (t *pebbleMap[K, UK, UV]) Get(uk UK) (UV, bool, error) {
	var zero UV
	raw, ok, err := t.b.pb.cache.get(t.userKey(uk))
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := decodeAll(t.uvc, raw, t.name)
	return v, err == nil, err
}

func (t *pebbleMap[K, UK, UV]) Put(uk UK, v UV) error {
	t.enc = t.uvc.Append(t.enc[:0], v)
	return t.b.pb.cache.set(t.userKey(uk), t.enc)
}

func (t *pebbleMap[K, UK, UV]) Remove(uk UK) error {
	return t.b.pb.cache.del(t.userKey(uk))
}

func (t *pebbleMap[K, UK, UV]) Entries() (map[UK]UV, error) {
	out := map[UK]UV{}
	prefix := bytes.Clone(t.key())
	err := t.scan(prefix, func(_, rest, v []byte) error {
		uk, err := decodeAll(t.ukc, rest, t.name)
		if err != nil {
			return err
		}
		uv, err := decodeAll(t.uvc, v, t.name)
		if err != nil {
			return err
		}
		out[uk] = uv
		return nil
	})
	return out, err
}

// Clear deletes the current key's entries one by one through the cache
// (a range deletion would leave stale entries in it).
func (t *pebbleMap[K, UK, UV]) Clear() error {
	var keys [][]byte
	err := t.scan(bytes.Clone(t.key()), func(key, _, _ []byte) error {
		keys = append(keys, bytes.Clone(key))
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.b.pb.cache.del(k); err != nil {
			return err
		}
	}
	return nil
}

// scan calls fn for every entry whose key starts with prefix, with the key,
// the rest of the key after prefix, and the value (valid during the call).
func (t *pebbleTable[K]) scan(prefix []byte, fn func(key, rest, v []byte) error) error {
	if err := t.b.pb.cache.flush(); err != nil {
		return err
	}
	it, err := t.b.pb.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("pebble state: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), it.Key()[len(prefix):], v)
		}
		if err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return fmt.Errorf("pebble state: %w", err)
	}
	return it.Close()
}

// forEach calls fn with every (key, user key) of the state in the
// backend's key groups: the timer queue's load on start.
func (t *pebbleMap[K, UK, UV]) forEach(fn func(k K, uk UK) error) error {
	for g := t.b.groups.Start; g < t.b.groups.End; g++ {
		prefix := append(groupPrefix(g), t.name...)
		err := t.scan(prefix, func(_, rest, _ []byte) error {
			n, m := binary.Uvarint(rest)
			if m <= 0 || uint64(len(rest)-m) < n {
				return fmt.Errorf("%w: state %s: bad key", ErrCorruptState, t.name)
			}
			k, err := decodeAll(t.b.kc, rest[m:m+int(n)], t.name)
			if err != nil {
				return err
			}
			uk, err := decodeAll(t.ukc, rest[m+int(n):], t.name)
			if err != nil {
				return err
			}
			return fn(k, uk)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

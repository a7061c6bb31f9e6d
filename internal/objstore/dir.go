package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dir is an object store in a local directory: an object is a file, its key
// the file's path relative to the directory with "/" between segments.
type Dir struct {
	root string // absolute
	mu   sync.Mutex
}

// OpenDir opens the directory dir (made absolute). With create, a missing
// directory is created (with its parents); without, it must exist.
func OpenDir(dir string, create bool) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(abs, 0o777); err != nil {
			return nil, err
		}
	} else {
		info, err := os.Stat(abs)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("%s is not a directory", abs)
		}
	}
	return &Dir{root: abs}, nil
}

// Root is the directory's absolute path.
func (d *Dir) Root() string { return d.root }

// path is the file of key; a key that would leave the directory is refused.
func (d *Dir) path(key string) (string, error) {
	if key == "" || !filepath.IsLocal(filepath.FromSlash(key)) || strings.HasSuffix(key, "/") {
		return "", fmt.Errorf("key %q is not a path inside %s", key, d.root)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

type fileReader struct {
	*os.File
	size int64
}

func (r fileReader) Size() int64 { return r.size }

// Get opens the object key.
func (d *Dir) Get(_ context.Context, key string) (Reader, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, dirErr(err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if info.IsDir() {
		f.Close()
		return nil, notFound(fmt.Errorf("%s is a directory", p))
	}
	return fileReader{f, info.Size()}, nil
}

// Stat returns the size of the object key.
func (d *Dir) Stat(_ context.Context, key string) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return 0, dirErr(err)
	}
	if info.IsDir() {
		return 0, notFound(fmt.Errorf("%s is a directory", p))
	}
	return info.Size(), nil
}

// Put writes r to key: a temporary file "<key>.<hex>.tmp" next to the final
// one (so the rename stays on one file system), fsynced, then renamed. On
// any failure, a cancelled ctx included, the temporary file is removed and
// nothing appears under key. With ifNotExist an existing key is not
// replaced (ErrExists). The directory is not fsynced.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return err
	}
	f, err := createTemp(p)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = d.publish(tmp, p, ifNotExist)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func (d *Dir) publish(tmp, p string, ifNotExist bool) error {
	if !ifNotExist {
		return os.Rename(tmp, p)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("%s %w", p, ErrExists)
	}
	return os.Rename(tmp, p)
}

// createTemp creates "<path>.<hex nanoseconds>.tmp" with mode 0666 (less the
// umask), as gocloud.dev's fileblob did, so that listings look the same.
func createTemp(path string) (*os.File, error) {
	for try := 0; ; try++ {
		name := path + "." + strconv.FormatInt(time.Now().UnixNano(), 16) + ".tmp"
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return f, err
	}
}

// Delete removes the object key; a missing one is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List yields the files whose keys start with prefix, in key order; with a
// delimiter, the keys holding it after the prefix are folded into their
// common prefix. Unreadable directories are skipped, as is a missing one.
func (d *Dir) List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		start := d.root
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			p, err := d.path(prefix[:i])
			if err != nil {
				yield(Entry{}, err)
				return
			}
			start = p
		}
		var keys []Entry
		err := filepath.WalkDir(start, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable or gone: skip it
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if path == d.root {
				return nil
			}
			key := filepath.ToSlash(path[len(d.root)+1:])
			if e.IsDir() {
				if k := key + "/"; !strings.HasPrefix(k, prefix) && !strings.HasPrefix(prefix, k) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasPrefix(key, prefix) || !e.Type().IsRegular() {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return nil
			}
			keys = append(keys, Entry{Key: key, Size: info.Size()})
			return nil
		})
		if err != nil {
			yield(Entry{}, err)
			return
		}
		slices.SortFunc(keys, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
		for _, e := range fold(prefix, delimiter, keys) {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Close does nothing: a Dir holds no resources.
func (d *Dir) Close() error { return nil }

func dirErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return notFound(err)
	}
	return err
}

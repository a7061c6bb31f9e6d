package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
)

// Mem is an object store in memory, for tests and the embedded local run.
// It is safe for concurrent use.
type Mem struct {
	mu   sync.Mutex
	objs map[string][]byte
}

// NewMem returns an empty in-memory store.
func NewMem() *Mem { return &Mem{objs: map[string][]byte{}} }

type memReader struct {
	*bytes.Reader
	size int64
}

func (r memReader) Size() int64  { return r.size }
func (r memReader) Close() error { return nil }

// Get opens the object key.
func (m *Mem) Get(_ context.Context, key string) (Reader, error) {
	m.mu.Lock()
	b, ok := m.objs[key]
	m.mu.Unlock()
	if !ok {
		return nil, notFound(fmt.Errorf("mem: %s", key))
	}
	return memReader{bytes.NewReader(b), int64(len(b))}, nil
}

// Stat returns the size of the object key.
func (m *Mem) Stat(_ context.Context, key string) (int64, error) {
	m.mu.Lock()
	b, ok := m.objs[key]
	m.mu.Unlock()
	if !ok {
		return 0, notFound(fmt.Errorf("mem: %s", key))
	}
	return int64(len(b)), nil
}

// Put reads r whole and then stores it under key; on a read error or a
// cancelled ctx nothing is stored.
func (m *Mem) Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok && ifNotExist {
		return fmt.Errorf("mem: %s %w", key, ErrExists)
	}
	m.objs[key] = b
	return nil
}

// Delete removes key; a missing one is not an error.
func (m *Mem) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.objs, key)
	m.mu.Unlock()
	return nil
}

// List yields the objects under prefix in key order, folded at delimiter.
func (m *Mem) List(_ context.Context, prefix, delimiter string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		m.mu.Lock()
		var keys []Entry
		for k, b := range m.objs {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, Entry{Key: k, Size: int64(len(b))})
			}
		}
		m.mu.Unlock()
		slices.SortFunc(keys, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
		for _, e := range fold(prefix, delimiter, keys) {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Close does nothing; the objects stay with the value.
func (m *Mem) Close() error { return nil }

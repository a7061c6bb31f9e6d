package state

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// stateCache sits between a pebble backend's state handles and its
// database: a write-back cache of encoded entries, so that a key read or
// written again soon (a running count, a window's accumulator, a timer
// registered and deleted) costs a Go map lookup instead of a search of the
// memtable and the SSTs. It caches absent keys too (a first record per key
// is the common miss).
//
// Dirty entries reach the database in one batch when the cache is full
// (after which it starts empty: simple, and amortized O(1) per access),
// before any range read (scan), and before a checkpoint's flush, so the
// database is complete whenever something reads it other than through the
// cache. It belongs to the subtask's goroutine, like the backend.
type stateCache struct {
	db    *pebble.DB
	m     map[string]*cacheEntry
	bytes int64 // approximate memory of the entries
	limit int64
	dirty int
	// disk, when set, fails writes once the local directory is full: a
	// commit would wait for a flush that cannot happen.
	disk *diskWatch
}

type cacheEntry struct {
	val     []byte
	present bool
	dirty   bool
}

// entryCost approximates an entry's memory beyond its key and value.
const entryCost = 80

func newStateCache(db *pebble.DB, limit int64) *stateCache {
	return &stateCache{db: db, m: map[string]*cacheEntry{}, limit: limit}
}

// get returns key's value (valid until the next call that changes the
// cache) and whether it is present.
func (c *stateCache) get(key []byte) ([]byte, bool, error) {
	if e, ok := c.m[string(key)]; ok {
		return e.val, e.present, nil
	}
	v, closer, err := c.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		c.insert(key, &cacheEntry{})
		return nil, false, c.evictIfFull()
	}
	if err != nil {
		return nil, false, fmt.Errorf("pebble state: %w", err)
	}
	e := &cacheEntry{val: append([]byte(nil), v...), present: true}
	closer.Close()
	c.insert(key, e)
	return e.val, true, c.evictIfFull()
}

func (c *stateCache) insert(key []byte, e *cacheEntry) {
	c.m[string(key)] = e
	c.bytes += int64(len(key)+len(e.val)) + entryCost
}

// entry returns key's entry for writing, creating it if absent.
func (c *stateCache) entry(key []byte) *cacheEntry {
	e, ok := c.m[string(key)]
	if !ok {
		e = &cacheEntry{}
		c.insert(key, e)
	}
	c.markDirty(e)
	return e
}

func (c *stateCache) markDirty(e *cacheEntry) {
	if !e.dirty {
		e.dirty = true
		c.dirty++
	}
}

// set makes val key's value.
func (c *stateCache) set(key, val []byte) error {
	e := c.entry(key)
	c.bytes += int64(len(val) - len(e.val))
	e.val, e.present = append(e.val[:0], val...), true
	return c.evictIfFull()
}

// del removes key.
func (c *stateCache) del(key []byte) error {
	e := c.entry(key)
	c.bytes -= int64(len(e.val))
	e.val, e.present = e.val[:0], false
	return c.evictIfFull()
}

// merge appends operand to key's value (ListState.Add). A key not in the
// cache is read first: a list that is added to is read again soon (a
// window's contents, a join's buffer), and a value in the cache is written
// back whole, where merge operands left in the database would be
// concatenated again on every read (Pebble's merge prepends each older
// operand, which copies the value each time).
func (c *stateCache) merge(key, operand []byte) error {
	e, ok := c.m[string(key)]
	if !ok {
		if _, _, err := c.get(key); err != nil {
			return err
		}
		if e, ok = c.m[string(key)]; !ok { // evicted by its own insertion
			if err := c.diskErr(); err != nil {
				return err
			}
			return c.db.Merge(key, operand, wo)
		}
	}
	c.markDirty(e)
	if !e.present {
		e.val = e.val[:0]
	}
	e.val, e.present = append(e.val, operand...), true
	c.bytes += int64(len(operand))
	return c.evictIfFull()
}

func (c *stateCache) evictIfFull() error {
	if c.bytes <= c.limit {
		return nil
	}
	if err := c.flush(); err != nil {
		return err
	}
	clear(c.m)
	c.bytes = 0
	return nil
}

// flush writes every dirty entry to the database in one batch.
func (c *stateCache) flush() error {
	if c.dirty == 0 {
		return nil
	}
	if err := c.diskErr(); err != nil {
		return err
	}
	b := c.db.NewBatch()
	defer b.Close()
	for k, e := range c.m {
		if !e.dirty {
			continue
		}
		var err error
		if e.present {
			err = b.Set([]byte(k), e.val, nil)
		} else {
			err = b.Delete([]byte(k), nil)
		}
		if err != nil {
			return fmt.Errorf("pebble state: %w", err)
		}
		e.dirty = false
	}
	c.dirty = 0
	if err := b.Commit(wo); err != nil {
		return fmt.Errorf("pebble state: %w", err)
	}
	return nil
}

func (c *stateCache) diskErr() error {
	if c.disk == nil {
		return nil
	}
	return c.disk.err()
}

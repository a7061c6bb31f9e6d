package storage

import (
	"context"
	"io"
	"iter"
	"strings"

	"github.com/weirstream/weir/internal/objstore"
)

// Bucket is what checkpoint storage needs of an object store; Open picks
// one of internal/objstore's (a directory, S3 or memory). Keys are
// '/'-separated.
type Bucket interface {
	// Get opens an object; a missing one is an error wrapping
	// objstore.ErrNotFound.
	Get(ctx context.Context, key string) (objstore.Reader, error)
	// Stat returns an object's size; a missing one is an error wrapping
	// objstore.ErrNotFound.
	Stat(ctx context.Context, key string) (int64, error)
	// Put writes r to key atomically (whole or not at all) and, on a local
	// disk, fsyncs the file (not its directory). With ifNotExist an
	// existing object is left alone and the error wraps
	// objstore.ErrExists.
	Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// List yields the objects under prefix in key order; with a
	// delimiter, keys holding it after the prefix are folded into one
	// entry (IsDir) for their common prefix.
	List(ctx context.Context, prefix, delimiter string) iter.Seq2[objstore.Entry, error]
	// Close releases the bucket.
	Close() error
}

var (
	_ Bucket = (*objstore.Dir)(nil)
	_ Bucket = (*objstore.Mem)(nil)
	_ Bucket = (*objstore.S3)(nil)
)

// prefixed is a view of a bucket under a key prefix (ending in "/").
type prefixed struct {
	Bucket
	p string
}

func (b *prefixed) Get(ctx context.Context, key string) (objstore.Reader, error) {
	return b.Bucket.Get(ctx, b.p+key)
}

func (b *prefixed) Stat(ctx context.Context, key string) (int64, error) {
	return b.Bucket.Stat(ctx, b.p+key)
}

func (b *prefixed) Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error {
	return b.Bucket.Put(ctx, b.p+key, r, ifNotExist)
}

func (b *prefixed) Delete(ctx context.Context, key string) error {
	return b.Bucket.Delete(ctx, b.p+key)
}

func (b *prefixed) List(ctx context.Context, prefix, delimiter string) iter.Seq2[objstore.Entry, error] {
	return func(yield func(objstore.Entry, error) bool) {
		for e, err := range b.Bucket.List(ctx, b.p+prefix, delimiter) {
			e.Key = strings.TrimPrefix(e.Key, b.p)
			if !yield(e, err) {
				return
			}
		}
	}
}

// exists reports whether key exists.
func exists(ctx context.Context, b Bucket, key string) (bool, error) {
	_, err := b.Stat(ctx, key)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

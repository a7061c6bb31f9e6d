package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gocloud.dev/blob"

	"github.com/weirstream/weir/checkpoint"
)

// SharedName is the name, under shared/, of a file first uploaded for
// checkpoint id: "c<id>/<name>". The id tells CollectShared whether the
// file may still belong to a checkpoint in progress.
func SharedName(id checkpoint.ID, name string) string {
	return "c" + strconv.FormatInt(int64(id), 10) + "/" + name
}

// sharedID parses the checkpoint id of a path relative to the job's
// directory written under SharedName.
func sharedID(rel string) (checkpoint.ID, bool) {
	rest, ok := strings.CutPrefix(rel, SharedDir+"/c")
	if !ok {
		return 0, false
	}
	n, _, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(n, 10, 64)
	return checkpoint.ID(id), err == nil && id > 0
}

// CollectShared deletes the files of job's shared/ directory that no
// checkpoint in storage references any more, and returns how many it
// deleted. It counts references afresh from every checkpoint whose metadata
// decodes (so it is right after a crash, and across runs of the job in the
// same directory), and it spares files uploaded for a checkpoint newer than
// the newest complete one, which may still be in progress. Files with a
// name SharedName did not make are left alone.
//
// With idle set (no checkpoint of the job is in progress: it ended), no
// file is spared for being new.
//
// Call it after discarding checkpoints; concurrent calls are safe (each
// deletes only unreferenced files) but wasteful.
func (s *Storage) CollectShared(ctx context.Context, job string, idle bool) (int, error) {
	infos, err := s.List(ctx, job)
	if err != nil {
		return 0, err
	}
	referenced := map[string]bool{}
	var newest checkpoint.ID
	for _, in := range infos {
		if in.Checkpoint == nil {
			continue
		}
		if in.Status == StatusComplete {
			newest = max(newest, in.ID)
		}
		in.Checkpoint.Files(func(f checkpoint.FileRef) {
			if strings.HasPrefix(f.Path, SharedDir+"/") {
				referenced[f.Path] = true
			}
		})
	}
	prefix := JobDir(job) + "/" + SharedDir + "/"
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var doomed []string
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("checkpoint storage: list %s: %w", prefix, err)
		}
		if o.IsDir {
			continue
		}
		rel := strings.TrimPrefix(o.Key, JobDir(job)+"/")
		id, ok := sharedID(rel)
		if !ok || (id > newest && !idle) || referenced[rel] {
			continue
		}
		doomed = append(doomed, o.Key)
	}
	var errs []error
	n := 0
	dirs := map[string]bool{}
	for _, key := range doomed {
		if err := s.bucket.Delete(ctx, key); err != nil && !isNotFound(err) {
			errs = append(errs, err)
			continue
		}
		n++
		dirs[key[:strings.LastIndexByte(key, '/')]] = true
	}
	if s.root != "" {
		// fileblob leaves the c<id> directories behind; an upload may be
		// creating a file in one, so only empty ones go (os.Remove).
		for d := range dirs {
			_ = os.Remove(filepath.Join(s.root, filepath.FromSlash(d)))
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("checkpoint storage: collect shared files of job %s: %w", job, errors.Join(errs...))
	}
	return n, nil
}

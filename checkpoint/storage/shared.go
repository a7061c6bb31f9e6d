package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

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
	u, err := s.SharedFiles(ctx, job)
	if err != nil {
		return 0, err
	}
	var doomed []string
	for rel := range u.Stored {
		id, ok := sharedID(rel)
		if !ok || (id > u.Newest && !idle) || u.Referenced[rel] {
			continue
		}
		doomed = append(doomed, JobDir(job)+"/"+rel)
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
		// Deleting files leaves the c<id> directories behind; an upload may be
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

// SharedUsage is what job's shared/ directory holds and what refers to it.
// Paths are relative to the job's directory ("shared/c3/...").
type SharedUsage struct {
	Stored     map[string]bool // files under shared/
	Referenced map[string]bool // shared files some checkpoint's metadata references
	Newest     checkpoint.ID   // the newest complete checkpoint; 0 if none
}

// SharedFiles lists job's shared files and the references to them from
// every checkpoint whose metadata decodes.
func (s *Storage) SharedFiles(ctx context.Context, job string) (SharedUsage, error) {
	u := SharedUsage{Stored: map[string]bool{}, Referenced: map[string]bool{}}
	infos, err := s.List(ctx, job)
	if err != nil {
		return u, err
	}
	for _, in := range infos {
		if in.Checkpoint == nil {
			continue
		}
		if in.Status == StatusComplete {
			u.Newest = max(u.Newest, in.ID)
		}
		in.Checkpoint.Files(func(f checkpoint.FileRef) {
			if strings.HasPrefix(f.Path, SharedDir+"/") {
				u.Referenced[f.Path] = true
			}
		})
	}
	prefix := JobDir(job) + "/" + SharedDir + "/"
	for o, err := range s.bucket.List(ctx, prefix, "") {
		if err != nil {
			return u, fmt.Errorf("checkpoint storage: list %s: %w", prefix, err)
		}
		if !o.IsDir {
			u.Stored[strings.TrimPrefix(o.Key, JobDir(job)+"/")] = true
		}
	}
	return u, nil
}

// Problems lists what is wrong with u, sorted: a referenced file that is
// not stored (a checkpoint that cannot be restored), and a stored file no
// checkpoint references (left behind; CollectShared deletes it unless a
// checkpoint in progress may still use it).
func (u SharedUsage) Problems() []string {
	var out []string
	for p := range u.Referenced {
		if !u.Stored[p] {
			out = append(out, "referenced but missing: "+p)
		}
	}
	for p := range u.Stored {
		if !u.Referenced[p] {
			out = append(out, "stored but not referenced: "+p)
		}
	}
	slices.Sort(out)
	return out
}

package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/weirstream/weir/checkpoint"
)

// Status of a checkpoint directory.
type Status uint8

const (
	// StatusComplete: _metadata exists and verifies, and every file it
	// references exists with the recorded size.
	StatusComplete Status = iota
	// StatusDamaged: _metadata exists but does not verify, or a referenced
	// file is missing or has the wrong size.
	StatusDamaged
	// StatusIncomplete: no _metadata (never completed, or still being
	// written, or being discarded).
	StatusIncomplete
)

func (s Status) String() string {
	switch s {
	case StatusComplete:
		return "complete"
	case StatusDamaged:
		return "damaged"
	case StatusIncomplete:
		return "incomplete"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Info describes one chk-<n> directory of a job.
type Info struct {
	ID         checkpoint.ID
	Dir        string // "<jobdir>/chk-<n>", relative to the storage root
	Path       string // external path, as ResolvePath accepts it
	Status     Status
	Reason     error                           // why damaged or incomplete; nil when complete
	Checkpoint *checkpoint.CompletedCheckpoint // decoded metadata when it decodes
	Files      int                             // objects in the directory
	Bytes      int64                           // their total size
}

// Skipped is a checkpoint Latest passed over, with the reason.
type Skipped struct {
	ID     checkpoint.ID
	Status Status
	Reason error
}

// String reads "checkpoint 12 is damaged (chk-12/op-x-0: checksum mismatch ...)".
func (s Skipped) String() string {
	if s.Status == StatusIncomplete {
		return fmt.Sprintf("checkpoint %d is incomplete (no %s)", s.ID, MetadataName)
	}
	return fmt.Sprintf("checkpoint %d is %s (%v)", s.ID, s.Status, s.Reason)
}

type object struct {
	size int64
}

// listJob lists every object under the job's directory, keyed by path
// relative to it.
func (s *Storage) listJob(ctx context.Context, job string) (map[string]object, error) {
	prefix := JobDir(job) + "/"
	out := map[string]object{}
	for o, err := range s.bucket.List(ctx, prefix, "") {
		if err != nil {
			return nil, fmt.Errorf("checkpoint storage: list %s: %w", prefix, err)
		}
		if !o.IsDir {
			out[strings.TrimPrefix(o.Key, prefix)] = object{size: o.Size}
		}
	}
	return out, nil
}

// List describes every chk-<n> directory of job, oldest first. It reads
// each _metadata and checks that the files it references exist with the
// recorded sizes; it does not read them (Verify does).
func (s *Storage) List(ctx context.Context, job string) ([]Info, error) {
	objs, err := s.listJob(ctx, job)
	if err != nil {
		return nil, err
	}
	byID := map[checkpoint.ID]*Info{}
	for rel, o := range objs {
		dir, _, ok := strings.Cut(rel, "/")
		if !ok {
			continue
		}
		id, ok := parseCheckpointDir(dir)
		if !ok {
			continue
		}
		in := byID[id]
		if in == nil {
			in = &Info{ID: id, Dir: JobDir(job) + "/" + dir, Path: s.ExternalPath(job, id), Status: StatusIncomplete, Reason: ErrIncomplete}
			byID[id] = in
		}
		in.Files++
		in.Bytes += o.size
	}
	out := make([]Info, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		in := byID[id]
		if _, ok := objs[CheckpointDir(id)+"/"+MetadataName]; ok {
			cp, err := s.ReadMetadata(ctx, job, id)
			switch {
			case errors.Is(err, ErrIncomplete), errors.Is(err, ErrNotFound):
				// discarded since the listing: incomplete
			case err != nil && (errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupportedVersion)):
				in.Status, in.Reason = StatusDamaged, err
			case err != nil:
				return nil, err
			default:
				in.Checkpoint = cp
				in.Status, in.Reason = StatusComplete, nil
				if err := checkSizes(cp, objs); err != nil {
					in.Status, in.Reason = StatusDamaged, err
				}
			}
		}
		out = append(out, *in)
	}
	return out, nil
}

// checkSizes checks that every file cp references is among objs with its
// recorded size.
func checkSizes(cp *checkpoint.CompletedCheckpoint, objs map[string]object) error {
	var err error
	cp.Files(func(f checkpoint.FileRef) {
		if err != nil || f.IsInline() {
			return
		}
		o, ok := objs[f.Path]
		switch {
		case !ok:
			err = &CorruptError{Path: f.Path, Reason: "missing"}
		case o.size != f.Size:
			err = &CorruptError{Path: f.Path, Reason: fmt.Sprintf("size %d, expected %d", o.size, f.Size)}
		}
	})
	return err
}

// Verify reads every file and inline state cp references and checks sizes
// and CRC32C checksums. The first problem is returned as a *CorruptError.
func (s *Storage) Verify(ctx context.Context, job string, cp *checkpoint.CompletedCheckpoint) error {
	var refs []checkpoint.FileRef
	cp.Files(func(f checkpoint.FileRef) { refs = append(refs, f) })
	for _, f := range refs {
		rc, err := s.OpenStateFile(ctx, job, f)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Latest returns the newest checkpoint of job that is complete and intact:
// its metadata verifies and every file it references exists with the right
// size and (unless WithSizeOnlyVerify) checksum. Newer checkpoints passed
// over are returned in skipped, newest first, each with its reason, so that
// the caller can say "checkpoint 12 is damaged (...); restoring from
// checkpoint 11". Savepoints count like checkpoints. With none to restore
// from, the error wraps ErrNoCheckpoint.
func (s *Storage) Latest(ctx context.Context, job string) (*checkpoint.CompletedCheckpoint, []Skipped, error) {
	infos, err := s.List(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	var skipped []Skipped
	for i := len(infos) - 1; i >= 0; i-- {
		in := infos[i]
		if in.Status == StatusComplete && !s.opts.sizeOnly {
			if err := s.Verify(ctx, job, in.Checkpoint); err != nil {
				if !errors.Is(err, ErrCorrupt) {
					return nil, skipped, err
				}
				in.Status, in.Reason = StatusDamaged, err
			}
		}
		if in.Status == StatusComplete {
			return in.Checkpoint, skipped, nil
		}
		skipped = append(skipped, Skipped{ID: in.ID, Status: in.Status, Reason: in.Reason})
	}
	msg := fmt.Sprintf("%v for job %s in %s", ErrNoCheckpoint, JobDir(job), s.Location())
	if len(skipped) > 0 {
		var parts []string
		for _, sk := range skipped {
			parts = append(parts, sk.String())
		}
		msg += ": " + strings.Join(parts, "; ")
	}
	return nil, skipped, &noCheckpointError{msg: msg}
}

type noCheckpointError struct{ msg string }

func (e *noCheckpointError) Error() string { return e.msg }
func (e *noCheckpointError) Unwrap() error { return ErrNoCheckpoint }

// Discard deletes checkpoint id of job: its _metadata first, so that a crash
// halfway leaves an incomplete checkpoint, never a damaged one that claims to
// be complete; then every other object in chk-<id> (temporary files
// included). Files in shared/ and taskowned/ are left alone. Discarding a
// checkpoint that does not exist is not an error.
func (s *Storage) Discard(ctx context.Context, job string, id checkpoint.ID) error {
	dir := s.key(job, CheckpointDir(id)) + "/"
	var errs []error
	del := func(key string) {
		if err := s.bucket.Delete(ctx, key); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	del(dir + MetadataName)
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint storage: discard checkpoint %d: %w", id, errors.Join(errs...))
	}
	for o, err := range s.bucket.List(ctx, dir, "") {
		if err != nil {
			errs = append(errs, err)
			break
		}
		if !o.IsDir {
			del(o.Key)
		}
	}
	if s.root != "" && len(errs) == 0 {
		// A directory keeps its empty subdirectories; removing them is
		// cosmetic, so a failure (a file written meanwhile) is ignored.
		removeEmptyDirs(filepath.Join(s.root, filepath.FromSlash(strings.TrimSuffix(dir, "/"))))
	}
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint storage: discard checkpoint %d: %w", id, errors.Join(errs...))
	}
	return nil
}

// removeEmptyDirs removes dir and the empty directories below it, as far as
// it can.
func removeEmptyDirs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir)
}

// RemoveEmptyCheckpointDirs removes the empty chk-<n> directories of job in
// local storage. Discard removes a checkpoint's directories after its
// files, so a process killed in between leaves an empty one that no
// listing shows (listings see files) and no later Discard reaches. Object
// stores have no directories: there it does nothing.
func (s *Storage) RemoveEmptyCheckpointDirs(job string) {
	if s.root == "" {
		return
	}
	dir := filepath.Join(s.root, filepath.FromSlash(JobDir(job)))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "chk-") {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
}

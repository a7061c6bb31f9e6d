package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

// FinishedName is the marker, in a job's directory, that says the job
// finished: "<job>/_finished". It is written after the job's final commit
// and before its checkpoints are deleted, so that a process killed at any
// moment leaves either a restorable checkpoint of an unfinished job or the
// marker of a finished one.
const FinishedName = "_finished"

// Finished is what the marker of a finished job records.
type Finished struct {
	Job        string        // the job's name
	At         time.Time     // when it finished
	Checkpoint checkpoint.ID // its last completed checkpoint; 0 if none
}

// MarkFinished writes the marker that job finished, atomically (one object,
// visible whole or not at all; fsynced on a local disk). Writing it again
// replaces it.
func (s *Storage) MarkFinished(ctx context.Context, job string, f Finished) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "job=%s\nfinished=%s\ncheckpoint=%d\n", f.Job, f.At.UTC().Format(time.RFC3339Nano), f.Checkpoint)
	if _, _, err := s.writeObject(ctx, s.key(job, FinishedName), &b, false); err != nil {
		return fmt.Errorf("checkpoint storage: write %s/%s: %w", JobDir(job), FinishedName, err)
	}
	if err := s.syncDir(JobDir(job)); err != nil {
		return fmt.Errorf("checkpoint storage: fsync %s: %w", JobDir(job), err)
	}
	return nil
}

// ReadFinished reads the marker of job; an error wrapping ErrNotFound means
// there is none (the job has not finished since it last started fresh).
func (s *Storage) ReadFinished(ctx context.Context, job string) (*Finished, error) {
	r, err := s.bucket.Get(ctx, s.key(job, FinishedName))
	if isNotFound(err) {
		return nil, fmt.Errorf("%s/%s %w", JobDir(job), FinishedName, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: open %s/%s: %w", JobDir(job), FinishedName, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage: read %s/%s: %w", JobDir(job), FinishedName, err)
	}
	f := &Finished{Job: job}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "job":
			f.Job = v
		case "finished":
			f.At, _ = time.Parse(time.RFC3339Nano, v)
		case "checkpoint":
			n, _ := strconv.ParseInt(v, 10, 64)
			f.Checkpoint = checkpoint.ID(n)
		}
	}
	return f, nil
}

// ClearFinished deletes the marker of job, if there is one: a run that
// starts the job afresh does so before it takes checkpoints.
func (s *Storage) ClearFinished(ctx context.Context, job string) error {
	if err := s.bucket.Delete(ctx, s.key(job, FinishedName)); err != nil && !isNotFound(err) {
		return fmt.Errorf("checkpoint storage: delete %s/%s: %w", JobDir(job), FinishedName, err)
	}
	return nil
}

// FinishedPath is where the marker of job lives, as people see it.
func (s *Storage) FinishedPath(job string) string {
	return strings.TrimSuffix(s.ExternalPath(job, 1), "/"+CheckpointDir(1)) + "/" + FinishedName
}

// Permanent reports whether err, from ResolvePath, Latest, ReadMetadata or
// a state file read, says something retrying cannot change: the checkpoint
// is damaged, incomplete, missing or not a checkpoint, or its location's
// scheme or format version is unknown. Any other error (a storage that
// cannot be reached, a timeout, a server error) may pass: the caller may
// retry.
func Permanent(err error) bool {
	for _, e := range []error{ErrCorrupt, ErrNotFound, ErrIncomplete, ErrNoCheckpoint, ErrNotCheckpoint, ErrUnsupportedScheme, ErrUnsupportedVersion, ErrExists} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

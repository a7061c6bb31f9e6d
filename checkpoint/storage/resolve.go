package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirstream/weir/checkpoint"
)

// Resolved is the checkpoint a path names.
type Resolved struct {
	Storage    *Storage // opened on the storage root; the caller closes it
	Job        string   // the job's directory name (state file paths are relative to it)
	Checkpoint *checkpoint.CompletedCheckpoint
	Skipped    []Skipped // for a job directory: newer checkpoints passed over
}

// ResolvePath finds the checkpoint that --from-checkpoint PATH names. PATH
// is a checkpoint directory (".../<job>/chk-12"), its metadata
// (".../<job>/chk-12/_metadata"), or a job directory (".../<job>", meaning
// its latest complete and intact checkpoint). It may be a plain path, a
// file:// URL, or an s3:// or mem:// URL with the storage's options in its
// query. The checkpoint is verified like Latest does.
//
// Errors are *PathError with one line for people, wrapping ErrNotFound
// ("checkpoint path X does not exist"), ErrNotCheckpoint ("X is not a
// checkpoint: ..."), ErrIncomplete, ErrCorrupt ("checkpoint X is damaged:
// chk-12/op-1: checksum mismatch ...") or ErrNoCheckpoint.
func ResolvePath(ctx context.Context, path string, opts ...Option) (*Resolved, error) {
	shown := Redact(path)
	notFound := &PathError{Path: shown, Err: ErrNotFound, Msg: fmt.Sprintf("checkpoint path %s does not exist", shown)}
	notCheckpoint := func(why string) error {
		return &PathError{Path: shown, Err: ErrNotCheckpoint, Msg: fmt.Sprintf(
			"%s is not a checkpoint: %s; expected a chk-<n> directory, its %s file, or a job directory holding chk-<n> directories",
			shown, why, MetadataName)}
	}

	var rootLoc string // location to Open
	var elems []string // path elements below the root: [..., job] or [..., job, chk-n]
	remote := strings.Contains(path, "://")
	local := path
	if remote {
		u, err := url.Parse(path)
		if err != nil {
			return nil, &PathError{Path: shown, Err: ErrNotFound, Msg: fmt.Sprintf("checkpoint path %s is not a valid URL: %v", shown, err)}
		}
		switch u.Scheme {
		case "file":
			local = u.Path
			if u.Host == "." {
				local = strings.TrimPrefix(local, "/")
			}
			remote = false
		case "s3", "mem":
			for _, e := range strings.Split(strings.Trim(u.Path, "/"), "/") {
				if e != "" {
					elems = append(elems, e)
				}
			}
			if len(elems) > 0 && elems[len(elems)-1] == MetadataName {
				elems = elems[:len(elems)-1]
			}
			n := len(elems) - 1
			if len(elems) > 0 {
				if _, ok := parseCheckpointDir(elems[n]); ok {
					n--
				}
			}
			if n < 0 {
				return nil, notCheckpoint("it names no job directory")
			}
			root := url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + strings.Join(elems[:n], "/"), RawQuery: u.RawQuery}
			rootLoc = root.String()
			elems = elems[n:]
		default:
			return nil, &PathError{Path: shown, Err: ErrUnsupportedScheme, Msg: fmt.Sprintf(
				"checkpoint path %s: unsupported scheme %q (use a directory path, file://, s3:// or mem://)", shown, u.Scheme)}
		}
	}
	if !remote {
		abs, err := filepath.Abs(filepath.FromSlash(local))
		if err != nil {
			return nil, notFound
		}
		fi, err := os.Stat(abs)
		if errors.Is(err, os.ErrNotExist) {
			return nil, notFound
		}
		if err != nil {
			return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint path %s: %v", shown, err)}
		}
		if !fi.IsDir() {
			if filepath.Base(abs) != MetadataName {
				return nil, notCheckpoint("it is a file")
			}
			abs = filepath.Dir(abs)
		}
		dir := abs
		if _, ok := parseCheckpointDir(filepath.Base(abs)); ok {
			dir = filepath.Dir(abs)
		}
		if dir == filepath.Dir(dir) {
			return nil, notCheckpoint("it names no job directory")
		}
		rootLoc = filepath.Dir(dir)
		elems = []string{filepath.Base(dir)}
		if dir != abs {
			elems = append(elems, filepath.Base(abs))
		}
	}
	job := elems[0]
	if JobDir(job) != job {
		return nil, notCheckpoint(fmt.Sprintf("%q cannot be a job directory written by Weir", job))
	}

	st, err := Open(ctx, rootLoc, append(opts, withoutCreate())...)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) && errors.Is(err, os.ErrNotExist) {
			return nil, notFound
		}
		return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint path %s: %v", shown, err)}
	}
	res, err := resolveIn(ctx, st, shown, elems, notFound, notCheckpoint)
	if err != nil {
		st.Close()
		return nil, err
	}
	return res, nil
}

func resolveIn(ctx context.Context, st *Storage, shown string, elems []string, notFound error, notCheckpoint func(string) error) (*Resolved, error) {
	job := elems[0]
	damaged := func(err error) error {
		return &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint %s is damaged: %v", shown, err)}
	}
	if len(elems) == 2 {
		id, _ := parseCheckpointDir(elems[1])
		cp, err := st.ReadMetadata(ctx, job, id)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, notFound
		case errors.Is(err, ErrIncomplete):
			return nil, &PathError{Path: shown, Err: ErrIncomplete, Msg: fmt.Sprintf(
				"checkpoint %s is incomplete: it has no %s, so it never completed", shown, MetadataName)}
		case errors.Is(err, ErrCorrupt), errors.Is(err, ErrUnsupportedVersion):
			return nil, damaged(err)
		case err != nil:
			return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint %s: %v", shown, err)}
		}
		if st.opts.sizeOnly {
			objs, err := st.listJob(ctx, job)
			if err == nil {
				err = checkSizes(cp, objs)
			}
			if err != nil {
				return nil, damaged(err)
			}
		} else if err := st.Verify(ctx, job, cp); err != nil {
			return nil, damaged(err)
		}
		return &Resolved{Storage: st, Job: job, Checkpoint: cp}, nil
	}

	infos, err := st.List(ctx, job)
	if err != nil {
		return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint path %s: %v", shown, err)}
	}
	if len(infos) == 0 {
		if !st.dirExists(ctx, JobDir(job)+"/") && st.scheme != "file" {
			return nil, notFound
		}
		return nil, notCheckpoint("it holds no chk-<n> directories")
	}
	cp, skipped, err := st.Latest(ctx, job)
	if errors.Is(err, ErrNoCheckpoint) {
		var parts []string
		for _, s := range skipped {
			parts = append(parts, s.String())
		}
		return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf(
			"no complete checkpoint under %s: %s", shown, strings.Join(parts, "; "))}
	}
	if err != nil {
		return nil, &PathError{Path: shown, Err: err, Msg: fmt.Sprintf("checkpoint path %s: %v", shown, err)}
	}
	return &Resolved{Storage: st, Job: job, Checkpoint: cp, Skipped: skipped}, nil
}

package file

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/weirstream/weir/connector"
)

// This file holds what lets the sink take back output: the history of
// attempts a checkpoint descends from (in its committables) and the commit
// log that says which attempt and checkpoint sealed each part file. See
// "Taking back output" in the package doc.

// historyVersion is the first byte of a committable that carries the
// sink's history rather than a part file.
const historyVersion = 2

const (
	commitLogSuffix  = ".commits"
	retractedSuffix  = ".retracted"
	commitLogMaxLine = 4 << 10
)

// epoch names one attempt of a job (one Recover and the writers after it).
type epoch [8]byte

func newEpoch() epoch {
	var e epoch
	if _, err := rand.Read(e[:]); err != nil {
		panic(fmt.Sprintf("file sink: crypto/rand: %v", err)) // never fails on supported platforms
	}
	return e
}

func (e epoch) String() string { return hex.EncodeToString(e[:]) }

// step is one attempt a checkpoint descends from, with the newest tag of
// each of its subtasks' part files that belong to the checkpoint's output.
type step struct {
	epoch  epoch
	limits map[int]int64 // subtask -> newest tag included
}

// history lists the attempts a checkpoint descends from, the first one
// (the root: the attempt that started without a checkpoint) first. A part
// file belongs to a checkpoint's output when the history holds the file's
// attempt and the file's tag is at most that attempt's limit for the
// file's subtask.
type history []step

func (h history) covers(e logEntry) bool {
	if len(h) == 0 || e.root != h[0].epoch {
		return false
	}
	for _, s := range h {
		if s.epoch == e.epoch {
			limit, ok := s.limits[e.subtask]
			return ok && e.tag <= limit
		}
	}
	return false
}

// encodeHistory encodes prefix followed by the step (cur, {subtask: limit}):
//
//	byte     version (2)
//	uvarint  number of steps
//	per step: 8 bytes epoch, uvarint number of limits, then per limit
//	          uvarint subtask and uvarint tag
func encodeHistory(prefix history, cur epoch, subtask int, limit int64) []byte {
	b := []byte{historyVersion}
	b = binary.AppendUvarint(b, uint64(len(prefix)+1))
	appendStep := func(s step) {
		b = append(b, s.epoch[:]...)
		b = binary.AppendUvarint(b, uint64(len(s.limits)))
		for _, st := range slices.Sorted(maps.Keys(s.limits)) {
			b = binary.AppendUvarint(b, uint64(st))
			b = binary.AppendUvarint(b, uint64(s.limits[st]))
		}
	}
	for _, s := range prefix {
		appendStep(s)
	}
	appendStep(step{epoch: cur, limits: map[int]int64{subtask: limit}})
	return b
}

func decodeHistory(b []byte) (history, error) {
	if len(b) == 0 || b[0] != historyVersion {
		return nil, errors.New("not a history")
	}
	rest := b[1:]
	next := func(what string) (uint64, error) {
		v, k := binary.Uvarint(rest)
		if k <= 0 {
			return 0, fmt.Errorf("history: truncated or malformed %s", what)
		}
		rest = rest[k:]
		return v, nil
	}
	n, err := next("step count")
	if err != nil {
		return nil, err
	}
	if n == 0 || n > uint64(len(rest)) {
		return nil, fmt.Errorf("history: %d steps in %d bytes", n, len(rest))
	}
	h := make(history, 0, n)
	for range n {
		var s step
		if len(rest) < len(s.epoch) {
			return nil, errors.New("history: truncated epoch")
		}
		copy(s.epoch[:], rest)
		rest = rest[len(s.epoch):]
		m, err := next("limit count")
		if err != nil {
			return nil, err
		}
		if m > uint64(len(rest)) {
			return nil, fmt.Errorf("history: %d limits in %d bytes", m, len(rest))
		}
		s.limits = make(map[int]int64, m)
		for range m {
			st, err := next("subtask")
			if err != nil {
				return nil, err
			}
			tag, err := next("tag")
			if err != nil {
				return nil, err
			}
			if st > math.MaxInt32 || tag > math.MaxInt64 {
				return nil, fmt.Errorf("history: subtask %d or tag %d out of range", st, tag)
			}
			s.limits[int(st)] = int64(tag)
		}
		h = append(h, s)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("history: %d unexpected trailing bytes", len(rest))
	}
	return h, nil
}

// mergeHistories joins the histories of a checkpoint's writers: they share
// every step but the last, whose limits (one subtask each) are merged.
func mergeHistories(hs []history) (history, error) {
	if len(hs) == 0 {
		return nil, nil
	}
	first := hs[0]
	merged := slices.Clone(first)
	last := step{epoch: first[len(first)-1].epoch, limits: map[int]int64{}}
	merged[len(merged)-1] = last
	for _, h := range hs {
		if len(h) != len(first) || h[len(h)-1].epoch != last.epoch {
			return nil, errors.New("the writers' histories disagree")
		}
		for i := range len(h) - 1 {
			if h[i].epoch != first[i].epoch || !maps.Equal(h[i].limits, first[i].limits) {
				return nil, errors.New("the writers' histories disagree")
			}
		}
		for st, l := range h[len(h)-1].limits {
			last.limits[st] = max(last.limits[st], l)
		}
	}
	return merged, nil
}

// IsBookkeeping reports whether name is one of the hidden files the sink
// keeps in its directory beside the part files, which stay after a job
// ends: a commit log (CommitLogName) or a part file taken back
// (RetractedName). Readers skip them as they skip every name starting
// with ".".
func IsBookkeeping(name string) bool {
	if s, ok := strings.CutPrefix(name, ".part-"); ok {
		if s, ok = strings.CutSuffix(s, commitLogSuffix); ok {
			_, err := strconv.Atoi(s)
			return err == nil
		}
	}
	_, _, kind, ok := parsePartName(name)
	return ok && kind == kindRetracted
}

// CommitLogName is the name of subtask s's commit log: one line per part
// file it sealed for a checkpoint, "<root> <epoch> <tag> <final name>",
// written and fsynced before the checkpoint can complete.
func CommitLogName(subtask int) string {
	return ".part-" + strconv.Itoa(subtask) + commitLogSuffix
}

// RetractedName is the hidden name of a published part file taken back
// because the job restored a checkpoint older than the one that committed
// it; a restore of a checkpoint that includes it publishes it again.
func RetractedName(subtask int, n int64) string {
	return "." + FinishedName(subtask, n) + retractedSuffix
}

// logEntry is one line of a commit log.
type logEntry struct {
	root, epoch epoch
	tag         int64
	subtask     int
	n           int64
	final       string
}

func (e logEntry) line() string {
	return fmt.Sprintf("%s %s %d %s\n", e.root, e.epoch, e.tag, e.final)
}

func parseLogLine(l string) (logEntry, bool) {
	f := strings.Fields(l)
	if len(f) != 4 {
		return logEntry{}, false
	}
	var e logEntry
	r, err1 := hex.DecodeString(f[0])
	ep, err2 := hex.DecodeString(f[1])
	tag, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || len(r) != len(e.root) || len(ep) != len(e.epoch) {
		return logEntry{}, false
	}
	st, n, kind, ok := parsePartName(f[3])
	if !ok || kind != kindFinished {
		return logEntry{}, false
	}
	copy(e.root[:], r)
	copy(e.epoch[:], ep)
	e.tag, e.subtask, e.n, e.final = tag, st, n, f[3]
	return e, true
}

// readCommitLog reads one commit log. A line that does not parse (the torn
// end of an append a crash interrupted, before its checkpoint could
// complete) is skipped.
func readCommitLog(path string) ([]logEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 256), commitLogMaxLine)
	for sc.Scan() {
		if e, ok := parseLogLine(sc.Text()); ok {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("file sink: read %s: %w", path, err)
	}
	return out, nil
}

// scanCommitLog reads subtask's commit log, if any, and returns the highest
// part counter it names (-1 if none) and whether a crash left its last
// line unterminated.
func scanCommitLog(dir string, subtask int) (highest int64, torn bool, err error) {
	path := filepath.Join(dir, CommitLogName(subtask))
	highest = -1
	entries, err := readCommitLog(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("file sink: commit log: %w", cause(err))
	}
	for _, e := range entries {
		highest = max(highest, e.n)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false, fmt.Errorf("file sink: commit log: %w", cause(err))
	}
	return highest, len(b) > 0 && b[len(b)-1] != '\n', nil
}

// appendLog appends lines to the writer's commit log (created at the
// first call, after ending a line a crash left unterminated) and fsyncs
// it.
func (w *writer) appendLog(lines string) error {
	if w.log == nil {
		f, err := os.OpenFile(filepath.Join(w.dir, CommitLogName(w.subtask)), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("file sink: cannot write to directory %s: %w", w.dir, cause(err))
		}
		w.log = f
		if w.tornLog {
			lines = "\n" + lines
			w.tornLog = false
		}
	}
	if _, err := w.log.WriteString(lines); err != nil {
		return fmt.Errorf("file sink: commit log: %w", err)
	}
	if err := w.log.Sync(); err != nil {
		return fmt.Errorf("file sink: commit log: %w", err)
	}
	return nil
}

// readCommitLogs reads every subtask's commit log in dir; for a part file
// named twice, the later line counts.
func readCommitLogs(dir string, entries []os.DirEntry) (map[string]logEntry, error) {
	out := map[string]logEntry{}
	for _, d := range entries {
		name := d.Name()
		s, ok := strings.CutPrefix(name, ".part-")
		if !ok || d.IsDir() {
			continue
		}
		s, ok = strings.CutSuffix(s, commitLogSuffix)
		if _, err := strconv.Atoi(s); !ok || err != nil {
			continue
		}
		es, err := readCommitLog(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out[e.final] = e
		}
	}
	return out, nil
}

// retraction is what reconcile changed.
type retraction struct {
	retracted, republished int
	tags                   []int64 // of the retracted files, ascending, once each
}

// reconcile makes the published part files of h's lineage (those whose
// commit log entry has h's root) exactly the ones h covers, plus keep:
// a published file h does not cover is renamed to its retracted name, and
// a retracted file h covers back to its final name. Files of other
// lineages, and files under neither name (consumed and removed by someone
// downstream, or never published) are left alone. Every step is a rename
// decided by h and the logs alone, so an interrupted reconcile repeated
// ends the same.
func reconcile(ctx context.Context, dir string, h history, keep map[string]bool, logs map[string]logEntry) (retraction, error) {
	var r retraction
	tags := map[int64]bool{}
	for _, final := range slices.Sorted(maps.Keys(logs)) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		e := logs[final]
		if e.root != h[0].epoch {
			continue
		}
		hidden := RetractedName(e.subtask, e.n)
		if keep[final] || h.covers(e) {
			err := os.Rename(filepath.Join(dir, hidden), filepath.Join(dir, final))
			switch {
			case err == nil:
				r.republished++
			case !errors.Is(err, fs.ErrNotExist):
				return r, fmt.Errorf("republish %s: %w", final, cause(err))
			}
			continue
		}
		err := os.Rename(filepath.Join(dir, final), filepath.Join(dir, hidden))
		switch {
		case err == nil:
			r.retracted++
			tags[e.tag] = true
		case !errors.Is(err, fs.ErrNotExist):
			return r, fmt.Errorf("take back %s: %w", final, cause(err))
		}
	}
	r.tags = slices.Sorted(maps.Keys(tags))
	return r, nil
}

// describeTags words the checkpoints of retracted files: "checkpoints 9,
// 10" or "checkpoint 9 and the final commit".
func describeTags(tags []int64) string {
	var ids []string
	final := false
	for _, t := range tags {
		if t == connector.FinalCheckpoint {
			final = true
			continue
		}
		ids = append(ids, strconv.FormatInt(t, 10))
	}
	var b bytes.Buffer
	switch len(ids) {
	case 0:
	case 1:
		b.WriteString("checkpoint " + ids[0])
	default:
		b.WriteString("checkpoints " + strings.Join(ids, ", "))
	}
	if final {
		if b.Len() > 0 {
			b.WriteString(" and ")
		}
		b.WriteString("the final commit of a finished run")
	}
	return b.String()
}

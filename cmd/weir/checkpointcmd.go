package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/internal/objstore"
	"github.com/weirstream/weir/internal/units"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
)

// newCheckpointCmd is `weir checkpoint`: tools to look at retained
// checkpoints without running a job. docs/checkpoint-tools.md describes the
// output, the JSON fields included.
func newCheckpointCmd() *cobra.Command {
	c := &cobra.Command{Use: "checkpoint", Short: "List and inspect retained checkpoints"}
	list := &cobra.Command{
		Use:   "list DIR",
		Short: "List the checkpoints under a checkpoint directory root or one job directory, newest first",
		Long: "List the checkpoints under DIR, newest first, one table per job. DIR is the root of checkpoint " +
			"storage (execution.checkpointing.dir: a path, file://, s3:// or mem:// URL) or one job directory " +
			"under it. A checkpoint is complete, damaged (with the reason) or incomplete (no _metadata). " +
			"List checks the metadata's checksum and that every file it references exists with its recorded " +
			"size; inspect also reads every state file and checks its checksum.",
		Args: oneArg("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listCheckpoints(cmd.Context(), cmd.OutOrStdout(), args[0])
		},
	}
	var asJSON bool
	inspect := &cobra.Command{
		Use:   "inspect PATH",
		Short: "Show what a checkpoint holds: operators, subtasks, state handles and acknowledgements",
		Long: "Show checkpoint PATH: a chk-<n> directory, its _metadata file, or a job directory (meaning its " +
			"newest complete and intact checkpoint), as --from-checkpoint takes it. The checkpoint is verified " +
			"first (metadata and every state file's size and CRC32C). --json prints one JSON object whose " +
			"fields docs/checkpoint-tools.md lists.",
		Args: oneArg("PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspectCheckpoint(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], asJSON)
		},
	}
	inspect.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (Flink REST field names where they fit)")
	c.AddCommand(list, inspect)
	return c
}

func oneArg(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return cli.Usage(fmt.Errorf("%s takes one argument, %s (got %d)", cmd.CommandPath(), name, len(args)))
		}
		return nil
	}
}

// ---- list ----

// jobListing is the checkpoints of one job directory.
type jobListing struct {
	job   string // job directory name
	where string // the job directory, as people name it
	infos []storage.Info
}

func listCheckpoints(ctx context.Context, w io.Writer, dir string) error {
	jobs, err := findCheckpoints(ctx, dir)
	if err != nil {
		return err
	}
	for i, j := range jobs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "job %s (%s)\n", j.job, j.where)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tTRIGGERED\tSTATE SIZE\tFILES\tPATH")
		for k := len(j.infos) - 1; k >= 0; k-- { // newest first
			in := j.infos[k]
			status := in.Status.String()
			if in.Status == storage.StatusDamaged && in.Reason != nil {
				status += ": " + cli.OneLine(in.Reason)
			}
			trig, size := "-", "-"
			if cp := in.Checkpoint; cp != nil {
				trig = rfc3339(cp.Timestamp)
				size = units.Bytes(cp.StateSize)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", in.ID, status, trig, size, in.Files, in.Path)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// findCheckpoints lists the jobs under dir that have chk-<n> directories:
// dir itself when it is a job directory, else its immediate subdirectories.
func findCheckpoints(ctx context.Context, dir string) ([]jobListing, error) {
	shown := storage.Redact(dir)
	none := func(why string) error {
		msg := "no checkpoints under " + shown
		if why != "" {
			msg += ": " + why
		}
		return cli.Usage(errors.New(msg))
	}
	local, isLocal, err := localPath(dir)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("checkpoint directory %s: %w", shown, err))
	}
	if isLocal {
		return findLocal(ctx, local, shown, none)
	}
	return findRemote(ctx, dir, shown, none)
}

// localPath turns a plain path or file:// URL into a directory path; isLocal
// is false for other URLs.
func localPath(loc string) (path string, isLocal bool, err error) {
	if !strings.Contains(loc, "://") {
		return loc, true, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", false, err
	}
	if u.Scheme != "file" {
		return "", false, nil
	}
	switch u.Host {
	case "", "localhost":
		return filepath.FromSlash(u.Path), true, nil
	case ".":
		return filepath.FromSlash(strings.TrimPrefix(u.Path, "/")), true, nil
	}
	return "", false, fmt.Errorf("file:// URLs name no host (use file:///abs/dir or file://./rel/dir)")
}

func findLocal(ctx context.Context, dir, shown string, none func(string) error) ([]jobListing, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, none(err.Error())
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, none("it does not exist")
	case err != nil:
		return nil, none(err.Error())
	case !fi.IsDir():
		return nil, none("it is not a directory")
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, none(err.Error())
	}
	var subdirs []string
	jobDir := false
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if isCheckpointDir(e.Name()) {
			jobDir = true
		}
		subdirs = append(subdirs, e.Name())
	}
	if jobDir {
		parent, job := filepath.Dir(abs), filepath.Base(abs)
		if parent == abs || storage.JobDir(job) != job {
			return nil, none(fmt.Sprintf("%q cannot be a job directory written by Weir", job))
		}
		return listJobs(ctx, parent, []string{job}, func(string) string { return abs }, none)
	}
	return listJobs(ctx, abs, subdirs, func(job string) string { return filepath.Join(abs, job) }, none)
}

// findRemote is findCheckpoints for s3:// and mem:// URLs. DIR is first
// taken as a job directory (its parent opened as the storage root, as
// ResolvePath does), then as a root whose immediate "directories" are jobs.
func findRemote(ctx context.Context, loc, shown string, none func(string) error) ([]jobListing, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, none(err.Error())
	}
	base := strings.TrimRight(shown, "/")
	var elems []string
	for _, e := range strings.Split(u.Path, "/") {
		if e != "" {
			elems = append(elems, e)
		}
	}
	if n := len(elems); n > 0 && storage.JobDir(elems[n-1]) == elems[n-1] {
		parent := *u
		parent.Path = "/" + strings.Join(elems[:n-1], "/")
		jobs, err := listJobs(ctx, parent.String(), []string{elems[n-1]}, func(string) string { return base }, none)
		if err == nil || !errors.As(err, new(usageError)) {
			return jobs, err
		}
	}
	st, err := storage.Open(ctx, loc)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("checkpoint directory %s: %w", shown, err))
	}
	defer st.Close()
	var subdirs []string
	for o, err := range st.Bucket().List(ctx, "", "/") {
		if errors.Is(err, objstore.ErrNotFound) {
			return nil, none("it does not exist")
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint directory %s: %w", shown, err)
		}
		if o.IsDir {
			subdirs = append(subdirs, strings.TrimSuffix(o.Key, "/"))
		}
	}
	if slices.ContainsFunc(subdirs, isCheckpointDir) {
		return nil, none("it holds chk-<n> directories but names no job directory; name the root of checkpoint storage or a job directory under it")
	}
	return listJobs(ctx, loc, subdirs, func(job string) string { return base + "/" + job }, none)
}

// listJobs opens root and lists each candidate job directory, keeping those
// with checkpoints, ordered by name.
func listJobs(ctx context.Context, root string, jobs []string, where func(string) string, none func(string) error) ([]jobListing, error) {
	slices.Sort(jobs)
	var out []jobListing
	if len(jobs) > 0 {
		st, err := storage.Open(ctx, root)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("checkpoint storage %s: %w", storage.Redact(root), err))
		}
		defer st.Close()
		for _, job := range jobs {
			if storage.JobDir(job) != job {
				continue // not a directory Weir writes
			}
			infos, err := st.List(ctx, job)
			if errors.Is(err, objstore.ErrNotFound) {
				return nil, none("it does not exist")
			}
			if err != nil {
				return nil, err
			}
			if len(infos) > 0 {
				out = append(out, jobListing{job: job, where: where(job), infos: infos})
			}
		}
	}
	if len(out) == 0 {
		return nil, none("")
	}
	return out, nil
}

// isCheckpointDir reports whether name is "chk-<n>" as storage writes it
// (n > 0, decimal, no sign or leading zero).
func isCheckpointDir(name string) bool {
	digits, ok := strings.CutPrefix(name, storage.CheckpointPref)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 18 {
		return false
	}
	n, err := strconv.ParseUint(digits, 10, 63)
	return err == nil && n > 0
}

// ---- inspect ----

// resolveCheckpoint is storage.ResolvePath; a path that names no
// checkpoint is a usage error.
func resolveCheckpoint(ctx context.Context, path string) (*storage.Resolved, error) {
	res, err := storage.ResolvePath(ctx, path)
	if err != nil {
		var pe *storage.PathError
		if errors.As(err, &pe) {
			return nil, cli.Usage(err)
		}
		return nil, err
	}
	return res, nil
}

func inspectCheckpoint(ctx context.Context, stdout, stderr io.Writer, path string, asJSON bool) error {
	res, err := resolveCheckpoint(ctx, path)
	if err != nil {
		return err
	}
	defer res.Storage.Close()
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "weir: %s; showing checkpoint %d\n", cli.OneLine(errors.New(s.String())), res.Checkpoint.ID)
	}
	doc := describe(res)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return printCheckpoint(stdout, res.Checkpoint, doc)
}

// checkpointJSON is `weir checkpoint inspect --json`. Field names follow
// Flink's REST API (/jobs/:jobid/checkpoints/details/:checkpointid) where one
// fits; docs/checkpoint-tools.md lists them. Keep them stable.
type checkpointJSON struct {
	ID                 int64             `json:"id"`
	Status             string            `json:"status"`
	IsSavepoint        bool              `json:"is_savepoint"`
	CheckpointType     string            `json:"checkpoint_type"`
	TriggerTimestamp   int64             `json:"trigger_timestamp"`
	LatestAckTimestamp int64             `json:"latest_ack_timestamp"`
	EndToEndDuration   int64             `json:"end_to_end_duration"`
	StateSize          int64             `json:"state_size"`
	CheckpointedSize   int64             `json:"checkpointed_size"`
	ExternalPath       string            `json:"external_path"`
	Job                string            `json:"job"`
	Properties         map[string]string `json:"properties"`
	Operators          []operatorJSON    `json:"operators"`
	Tasks              []taskJSON        `json:"tasks"`
	Skipped            []skippedJSON     `json:"skipped,omitempty"`
}

type operatorJSON struct {
	UID            string        `json:"uid"`
	Parallelism    int           `json:"parallelism"`
	MaxParallelism int           `json:"max_parallelism"`
	StateSize      int64         `json:"state_size"`
	Subtasks       []subtaskJSON `json:"subtasks"`
}

type subtaskJSON struct {
	Index         int                 `json:"index"`
	StateSize     int64               `json:"state_size"`
	Keyed         []keyedJSON         `json:"keyed"`
	OperatorState []operatorStateJSON `json:"operator_state"`
	InFlight      []fileJSON          `json:"in_flight,omitempty"`
}

type keyedJSON struct {
	KeyGroupStart int   `json:"key_group_start"`
	KeyGroupEnd   int   `json:"key_group_end"` // exclusive
	Size          int64 `json:"size"`
	// Backend is "heap" (one file, its location below) or "pebble" (the
	// database's files in Files).
	Backend string `json:"backend"`
	locationJSON
	Files []namedFileJSON `json:"files,omitempty"`
}

// namedFileJSON is one file of a pebble handle.
type namedFileJSON struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Shared is set for a file under shared/ (incremental checkpoints).
	Shared bool `json:"shared"`
	locationJSON
}

type operatorStateJSON struct {
	Name         string `json:"name"`
	Distribution string `json:"distribution"`
	Entries      int    `json:"entries"`
	Size         int64  `json:"size"` // bytes of this list state's entries
	locationJSON
}

// locationJSON is where state lives: a file (path relative to the job's
// directory) or inline in the metadata.
type locationJSON struct {
	Path   string `json:"path,omitempty"`
	Inline bool   `json:"inline,omitempty"`
}

// fileJSON is an in-flight file.
type fileJSON struct {
	Size int64 `json:"size"`
	locationJSON
}

type taskJSON struct {
	Vertex            int   `json:"vertex"`
	Subtask           int   `json:"subtask"`
	AckTimestamp      int64 `json:"ack_timestamp"`
	EndToEndDuration  int64 `json:"end_to_end_duration"`
	SyncDuration      int64 `json:"sync_duration"`
	AsyncDuration     int64 `json:"async_duration"`
	AlignmentDuration int64 `json:"alignment_duration"`
	StartDelay        int64 `json:"start_delay"`
	StateSize         int64 `json:"state_size"`
	CheckpointedSize  int64 `json:"checkpointed_size"`
	AlignmentBuffered int64 `json:"alignment_buffered"`
	ProcessedData     int64 `json:"processed_data"`
	PersistedData     int64 `json:"persisted_data"`
}

type skippedJSON struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

func locationOf(f checkpoint.FileRef) locationJSON {
	if f.IsInline() {
		return locationJSON{Inline: true}
	}
	return locationJSON{Path: f.Path}
}

func describe(res *storage.Resolved) checkpointJSON {
	cp := res.Checkpoint
	doc := checkpointJSON{
		ID:                 int64(cp.ID),
		Status:             "COMPLETED",
		IsSavepoint:        cp.Kind == checkpoint.KindSavepoint,
		CheckpointType:     strings.ToUpper(cp.Kind.String()),
		TriggerTimestamp:   epochMillis(cp.Timestamp),
		LatestAckTimestamp: epochMillis(cp.Timestamp.Add(cp.Duration)),
		EndToEndDuration:   cp.Duration.Milliseconds(),
		StateSize:          cp.StateSize,
		CheckpointedSize:   cp.CheckpointedSize,
		ExternalPath:       cp.ExternalPath,
		Job:                cp.Job,
		Properties:         maps.Clone(cp.Properties),
		Operators:          []operatorJSON{},
		Tasks:              []taskJSON{},
	}
	if cp.Timestamp.IsZero() {
		doc.LatestAckTimestamp = 0
	}
	if doc.Properties == nil {
		doc.Properties = map[string]string{}
	}
	for _, uid := range slices.Sorted(maps.Keys(cp.Operators)) {
		op := cp.Operators[uid]
		oj := operatorJSON{UID: uid, Parallelism: op.Parallelism, MaxParallelism: op.MaxParallelism, Subtasks: []subtaskJSON{}}
		for i := range op.Subtasks {
			s := &op.Subtasks[i]
			sj := subtaskJSON{Index: s.Subtask, StateSize: s.Size(), Keyed: []keyedJSON{}, OperatorState: []operatorStateJSON{}}
			for _, k := range s.Keyed {
				kj := keyedJSON{KeyGroupStart: k.KeyGroups.Start, KeyGroupEnd: k.KeyGroups.End, Backend: k.Backend()}
				if k.Format == checkpoint.FormatPebble {
					for _, f := range k.Files {
						kj.Size += f.File.Size
						kj.Files = append(kj.Files, namedFileJSON{Name: f.Name, Size: f.File.Size,
							Shared: strings.HasPrefix(f.File.Path, storage.SharedDir+"/"), locationJSON: locationOf(f.File)})
					}
				} else {
					kj.Size, kj.locationJSON = k.File.Size, locationOf(k.File)
				}
				sj.Keyed = append(sj.Keyed, kj)
			}
			for _, h := range s.Operator {
				for li, l := range h.States {
					sj.OperatorState = append(sj.OperatorState, operatorStateJSON{
						Name: l.Name, Distribution: l.Mode.String(), Entries: len(l.Offsets),
						Size: listStateSize(h, li), locationJSON: locationOf(h.File)})
				}
			}
			for _, f := range s.InFlight {
				sj.InFlight = append(sj.InFlight, fileJSON{Size: f.Size, locationJSON: locationOf(f)})
			}
			oj.StateSize += sj.StateSize
			oj.Subtasks = append(oj.Subtasks, sj)
		}
		doc.Operators = append(doc.Operators, oj)
	}
	for _, t := range cp.Tasks {
		m := t.Metrics
		tj := taskJSON{
			Vertex: t.Task.Vertex, Subtask: t.Task.Subtask, AckTimestamp: epochMillis(t.AckTime),
			SyncDuration: m.SyncDuration.Milliseconds(), AsyncDuration: m.AsyncDuration.Milliseconds(),
			AlignmentDuration: m.Alignment.Milliseconds(), StartDelay: m.StartDelay.Milliseconds(),
			StateSize: m.StateSize, CheckpointedSize: m.CheckpointedSize,
			AlignmentBuffered: m.AlignmentBuffered, ProcessedData: m.ProcessedData, PersistedData: m.PersistedData,
		}
		if !t.AckTime.IsZero() && !cp.Timestamp.IsZero() {
			tj.EndToEndDuration = t.AckTime.Sub(cp.Timestamp).Milliseconds()
		}
		doc.Tasks = append(doc.Tasks, tj)
	}
	for _, s := range res.Skipped {
		reason := ""
		if s.Reason != nil {
			reason = cli.OneLine(s.Reason)
		}
		doc.Skipped = append(doc.Skipped, skippedJSON{ID: int64(s.ID), Status: s.Status.String(), Reason: reason})
	}
	return doc
}

// listStateSize is the bytes list state i of h takes: its entries are
// contiguous, from its first offset to the first offset of the next
// non-empty list state in the handle, or the end of the file (the layout the
// runtime writes and reads back).
func listStateSize(h checkpoint.OperatorStateHandle, i int) int64 {
	l := h.States[i]
	if len(l.Offsets) == 0 {
		return 0
	}
	end := h.File.Size
	for _, next := range h.States[i+1:] {
		if len(next.Offsets) > 0 {
			end = next.Offsets[0]
			break
		}
	}
	return max(0, end-l.Offsets[0])
}

func printCheckpoint(w io.Writer, cp *checkpoint.CompletedCheckpoint, doc checkpointJSON) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %d of job %s\n", capitalize(cp.Kind.String()), cp.ID, cp.Job)
	fmt.Fprintf(tw, "  path:\t%s\n", cp.ExternalPath)
	fmt.Fprintf(tw, "  triggered:\t%s\n", rfc3339(cp.Timestamp))
	fmt.Fprintf(tw, "  duration:\t%s\n", humanDuration(cp.Duration))
	props := maps.Clone(doc.Properties)
	for _, p := range []struct{ key, label string }{
		{checkpoint.PropMode, "mode"},
		{checkpoint.PropMaxParallelism, "max parallelism"},
		{checkpoint.PropStateBackend, "state backend"},
	} {
		v, ok := props[p.key]
		if !ok {
			v = "-"
		}
		delete(props, p.key)
		fmt.Fprintf(tw, "  %s:\t%s\n", p.label, v)
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(tw, "  %s:\t%s\n", k, props[k])
	}
	fmt.Fprintf(tw, "  state size:\t%s (%d bytes)\n", units.Bytes(cp.StateSize), cp.StateSize)
	fmt.Fprintf(tw, "  checkpointed size:\t%s (%d bytes)\n", units.Bytes(cp.CheckpointedSize), cp.CheckpointedSize)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nOperators:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  UID\tPARALLELISM\tMAX PARALLELISM\tSTATE SIZE")
	for _, op := range doc.Operators {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", op.UID, op.Parallelism, op.MaxParallelism, units.Bytes(op.StateSize))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	for _, op := range doc.Operators {
		stateless := true
		for _, s := range op.Subtasks {
			stateless = stateless && len(s.Keyed) == 0 && len(s.OperatorState) == 0 && len(s.InFlight) == 0
		}
		if stateless {
			fmt.Fprintf(w, "\nOperator %s: no state (%s)\n", op.UID, plural(len(op.Subtasks), "subtask", "subtasks"))
			continue
		}
		fmt.Fprintf(w, "\nOperator %s: %s\n", op.UID, units.Bytes(op.StateSize))
		// A line without tabs ends tabwriter's column block: each
		// subtask's handles are aligned among themselves.
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range op.Subtasks {
			if len(s.Keyed) == 0 && len(s.OperatorState) == 0 && len(s.InFlight) == 0 {
				fmt.Fprintf(tw, "  subtask %d: no state\n", s.Index)
				continue
			}
			fmt.Fprintf(tw, "  subtask %d: %s\n", s.Index, units.Bytes(s.StateSize))
			for _, k := range s.Keyed {
				if k.Backend != "pebble" {
					fmt.Fprintf(tw, "    keyed\tkey groups [%d, %d)\t%s\t%s\n", k.KeyGroupStart, k.KeyGroupEnd, units.Bytes(k.Size), where(k.locationJSON))
					continue
				}
				shared := 0
				for _, f := range k.Files {
					if f.Shared {
						shared++
					}
				}
				fmt.Fprintf(tw, "    keyed (pebble)\tkey groups [%d, %d)\t%s\t%s, %d shared\n", k.KeyGroupStart, k.KeyGroupEnd, units.Bytes(k.Size), plural(len(k.Files), "file", "files"), shared)
				for _, f := range k.Files {
					fmt.Fprintf(tw, "      file\t%s\t%s\t%s\n", f.Name, units.Bytes(f.Size), where(f.locationJSON))
				}
			}
			for _, l := range s.OperatorState {
				fmt.Fprintf(tw, "    list %q\t%s, %s\t%s\t%s\n", l.Name, l.Distribution, plural(l.Entries, "entry", "entries"), units.Bytes(l.Size), where(l.locationJSON))
			}
			for _, f := range s.InFlight {
				fmt.Fprintf(tw, "    in-flight\t\t%s\t%s\n", units.Bytes(f.Size), where(f.locationJSON))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if len(cp.Tasks) > 0 {
		fmt.Fprintln(w, "\nSubtask acknowledgements:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  VERTEX/SUBTASK\tEND-TO-END\tSYNC\tASYNC\tALIGNMENT\tSTART DELAY\tSTATE SIZE\tCHECKPOINTED")
		for _, t := range cp.Tasks {
			e2e := "-"
			if !t.AckTime.IsZero() && !cp.Timestamp.IsZero() {
				e2e = humanDuration(t.AckTime.Sub(cp.Timestamp))
			}
			m := t.Metrics
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Task, e2e, humanDuration(m.SyncDuration),
				humanDuration(m.AsyncDuration), humanDuration(m.Alignment), humanDuration(m.StartDelay),
				units.Bytes(m.StateSize), units.Bytes(m.CheckpointedSize))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func where(f locationJSON) string {
	if f.Inline {
		return "inline"
	}
	return f.Path
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// humanDuration rounds to a precision that suits the magnitude.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// rfc3339 is t in UTC with milliseconds, "-" when unknown.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func epochMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

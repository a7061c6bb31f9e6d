package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
)

// The aligner is stepped by scripts in testdata/align (the format of
// testutil.RunScripts); `go test ./runtime -run TestAlignerScripts
// -rewrite` rewrites their expected outputs. Commands (times are offsets
// from a fixed start):
//
//	new channels=N [at-least-once]
//	barrier ch=C id=N t=T   a barrier arrives on channel C
//	end ch=C                channel C's input ends
//	abort id=N              the coordinator aborts checkpoint N
//	state                   what the aligner holds
func TestAlignerScripts(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testutil.RunScripts(t, "testdata/align/*.txt", func() func(*testing.T, string, int, string) string {
		var a *aligner
		return func(t *testing.T, path string, line int, cmd string) string {
			fields := strings.Fields(cmd)
			args := map[string]string{}
			exactlyOnce := true
			for _, f := range fields[1:] {
				if k, v, ok := strings.Cut(f, "="); ok {
					args[k] = v
				} else if f == "at-least-once" {
					exactlyOnce = false
				}
			}
			num := func(k string) int {
				n, err := strconv.Atoi(args[k])
				if err != nil {
					t.Fatalf("%s:%d: %s: bad %s=%q", path, line, cmd, k, args[k])
				}
				return n
			}
			if fields[0] != "new" && a == nil {
				t.Fatalf("%s:%d: start with new", path, line)
			}
			switch fields[0] {
			case "new":
				a = newAligner(num("channels"), exactlyOnce)
				return ""
			case "barrier":
				at, err := time.ParseDuration(args["t"])
				if err != nil {
					t.Fatalf("%s:%d: bad t=%q", path, line, args["t"])
				}
				return alignOutput(a.barrier(num("ch"), CheckpointBarrier{ID: int64(num("id")), Timestamp: t0}, t0.Add(at)), t0)
			case "end":
				return alignOutput(a.end(num("ch")), t0)
			case "abort":
				if rel := a.abort(int64(num("id"))); len(rel) > 0 {
					return fmt.Sprintf("release %v", rel)
				}
				return ""
			case "state":
				return fmt.Sprintf("current %d, last %d, seen %v, ended %v, blocking %v", a.current, a.last, a.seen, a.ended, a.blocking)
			}
			t.Fatalf("%s:%d: unknown command %q", path, line, fields[0])
			return ""
		}
	})
}

// alignOutput prints what a step tells the subtask to do, one line each.
func alignOutput(r alignResult, t0 time.Time) string {
	var out []string
	if r.aborted != 0 {
		out = append(out, fmt.Sprintf("abort %d (a newer barrier came)", r.aborted))
	}
	if r.block {
		out = append(out, "block the channel")
	}
	if r.complete != 0 {
		out = append(out, fmt.Sprintf("snapshot %d (first barrier at %s)", r.complete, r.alignStart.Sub(t0)))
	}
	if len(r.release) > 0 {
		out = append(out, fmt.Sprintf("release %v", r.release))
	}
	return strings.Join(out, "\n")
}

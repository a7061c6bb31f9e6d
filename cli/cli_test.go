package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/jobs"
)

// TestExitCode: the documented exit codes, each from the error that means
// it, wrapped as callers wrap.
func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("job x failed: boom"), ExitFailed},
		{Usage(errors.New("--web: bad")), ExitUsage},
		{fmt.Errorf("-D: %w", config.ErrUnknownOption), ExitUsage},
		{fmt.Errorf("-D: %w", config.ErrInvalidValue), ExitUsage},
		{fmt.Errorf("%w: --input is required", jobs.ErrBadOption), ExitUsage},
		{fmt.Errorf("job x: %w", weir.ErrOutputMayRepeat), ExitOutputMayRepeat},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) is not nil")
	}
}

// TestJobRun runs a Job in process through Run: its positional arguments
// reach Build and the job runs to its end with exit 0; a refusal is one
// line "NAME: ..." and exit 2.
func TestJobRun(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := collect.New[string]()
	var stderr bytes.Buffer
	ok := Job{Name: "myjob", Build: func(env *weir.Environment, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("want one argument, the input file (got %d)", len(args))
		}
		weir.FromSource(env, file.NewSource(args[0]), "Lines").SinkTo(sink, "Collect")
		return nil
	}}
	if code := Run(ok.Command(&stderr), []string{"--no-web", "-p", "1", in}, &stderr); code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if got := strings.Join(sink.Records(), " "); got != "a b c" {
		t.Errorf("records %q, want a b c", got)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-web"}, "myjob: want one argument, the input file (got 0)\n"},
		{[]string{"-D", "no.such=1", in}, `myjob: unknown option "no.such"`},
		{[]string{"--web", "nowhere", in}, `myjob: --web "nowhere": want HOST:PORT`},
		{[]string{"--bogus"}, "myjob: unknown flag: --bogus\n"},
	} {
		stderr.Reset()
		code := Run(ok.Command(&stderr), tc.args, &stderr)
		if code != ExitUsage || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

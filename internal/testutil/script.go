package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rewrite is the -rewrite flag of every test binary that runs scripts.
var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of script tests (testutil.RunScripts)")

// RunScripts runs every script matching glob (for example
// "testdata/align/*.txt") as a subtest. A script is a series of commands,
// each followed by a line "----" and the output it must print, up to a
// blank line; lines starting with "#" are comments, and an indented line
// continues the command above it. run gets each command (continuations
// joined with spaces) and the line it starts on, and returns its output.
// With -rewrite, the expected outputs are replaced by what run printed
// (read the diff before committing it). Each script gets a fresh state
// from newRun.
func RunScripts(t *testing.T, glob string, newRun func() func(t *testing.T, path string, line int, cmd string) string) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts match %s: %v", glob, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f, *rewrite, newRun()) })
	}
}

func runScript(t *testing.T, path string, rewrite bool, run func(t *testing.T, path string, line int, cmd string) string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rewritten strings.Builder
	lines := strings.Split(string(raw), "\n")
	i := 0
	for i < len(lines) {
		line := lines[i]
		if line == "" || strings.HasPrefix(line, "#") {
			rewritten.WriteString(line + "\n")
			i++
			continue
		}
		cmdLine := i + 1
		cmd := line
		rewritten.WriteString(line + "\n")
		i++
		for i < len(lines) && lines[i] != "----" && lines[i] != "" {
			cmd += " " + strings.TrimSpace(lines[i])
			rewritten.WriteString(lines[i] + "\n")
			i++
		}
		if i >= len(lines) || lines[i] != "----" {
			t.Fatalf("%s:%d: command without ---- line", path, cmdLine)
		}
		i++
		var exp []string
		for i < len(lines) && lines[i] != "" {
			exp = append(exp, lines[i])
			i++
		}
		got := strings.TrimRight(run(t, path, cmdLine, cmd), "\n")
		want := strings.Join(exp, "\n")
		rewritten.WriteString("----\n")
		if got != "" {
			rewritten.WriteString(got + "\n")
		}
		if got != want && !rewrite {
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", path, cmdLine, cmd, got, want)
		}
	}
	if rewrite {
		out := strings.TrimRight(rewritten.String(), "\n") + "\n"
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

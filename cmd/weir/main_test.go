package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector/file"
	"go.uber.org/goleak"
)

var weirBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weir-cli")
	if err != nil {
		panic(err)
	}
	weirBin = filepath.Join(dir, "weir")
	out, err := exec.Command("go", "build", "-race", "-o", weirBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building weir: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		// Whatever a test starts (processes' pipe readers, servers), it
		// must also stop.
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
	peakRSS        int64 // bytes: the process's maximum resident set
}

// runWeir runs weir in a directory of its own, with stdin, to its end.
func runWeir(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runWeirIn(t, t.TempDir(), stdin, args...)
}

// runWeirIn runs weir in dir, with stdin, to its end.
func runWeirIn(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	return runWeirEnv(t, dir, nil, stdin, args...)
}

// runWeirEnv runs weir in dir, with env added to the environment and
// stdin, to its end. A process killed by a signal has code -1.
func runWeirEnv(t *testing.T, dir string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(weirBin, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rss := watchRSS(cmd.Process.Pid)
	err := cmd.Wait()
	peak := rss.Stop()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code, peakRSS: peak}
}

// corpus returns lines with known word counts.
func corpus(n int) (string, map[string]int64) {
	var b strings.Builder
	want := map[string]int64{}
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("w%d  x%d\tcommon", i%11, i%5)
		b.WriteString(line + "\n")
		for _, w := range strings.Fields(line) {
			want[w]++
		}
	}
	return b.String(), want
}

// checkUpdates checks a running count's output: for each word the counts
// are 1, 2, 3, ... in order (one update per occurrence), ending at want.
func checkUpdates(t *testing.T, out string, want map[string]int64) {
	t.Helper()
	last := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		word, count, ok := strings.Cut(sc.Text(), ",")
		n, err := strconv.ParseInt(count, 10, 64)
		if !ok || err != nil {
			t.Fatalf("line %q is not word,count", sc.Text())
		}
		if n != last[word]+1 {
			t.Fatalf("word %q: count %d follows %d", word, n, last[word])
		}
		last[word] = n
	}
	if fmt.Sprint(last) != fmt.Sprint(want) {
		t.Fatalf("final counts\n got %v\nwant %v", last, want)
	}
}

func TestWordCountFiles(t *testing.T) {
	text, want := corpus(3000)
	dir := t.TempDir()
	// Three files, so parallel readers split them.
	parts := strings.SplitAfterN(text, "\n", 3)
	for i, p := range parts {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("in-%d.txt", i)), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"1", "2", "4"} {
		t.Run("stdout-p"+p, func(t *testing.T) {
			r := runWeir(t, "", "run", "wordcount", "--input", dir, "--output", "-", "-p", p)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkUpdates(t, r.stdout, want)
			// The end of the job reports what each vertex took in.
			for _, w := range []string{`"Source: Lines -> Split.records"=3000`, `"Count -> Format -> Print.records"=9000`} {
				if !strings.Contains(r.stderr, w) {
					t.Fatalf("stderr lacks %s:\n%s", w, r.stderr)
				}
			}
		})
		t.Run("files-p"+p, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			r := runWeir(t, "", "run", "wordcount", "--input", dir, "--output", out, "-p", p)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, e := range entries {
				if file.IsBookkeeping(e.Name()) { // the sink's commit log
					continue
				}
				if strings.HasPrefix(e.Name(), ".") || !strings.HasPrefix(e.Name(), "part-") {
					t.Fatalf("unexpected file %q left in the output directory", e.Name())
				}
				b, err := os.ReadFile(filepath.Join(out, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				all.Write(b)
			}
			// Each word lives in one subtask, so its updates are in one file,
			// in order.
			checkUpdates(t, all.String(), want)
		})
	}
}

func TestWordCountSocket(t *testing.T) {
	text, want := corpus(2000)
	for _, p := range []string{"1", "2", "4"} {
		t.Run("p"+p, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte(text))
				c.Close()
			}()
			r := runWeir(t, "", "run", "wordcount", "--input", "socket://"+ln.Addr().String(), "--output", "-", "-p", p)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkUpdates(t, r.stdout, want)
		})
	}
}

func TestRefusals(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("a b\n"), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("pipeline:\n  max-parallelism: lots\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"unknown option", []string{"-D", "paralelism.default=2"}, 2, `unknown option "paralelism.default" (did you mean "parallelism.default"?)`},
		{"malformed value", []string{"-D", "parallelism.default=two"}, 2, `invalid value "two" for option parallelism.default`},
		{"malformed pair", []string{"-D", "parallelism.default"}, 2, "parallelism.default"},
		{"impossible", []string{"-p", "300"}, 2, "above pipeline.max-parallelism 128"},
		{"bad yaml value", []string{"--config", bad}, 2, "pipeline.max-parallelism"},
		{"missing config", []string{"--config", "/no/such.yaml"}, 2, "/no/such.yaml"},
		{"missing input", []string{"--input", "/no/such/input"}, 2, "/no/such/input: no such file or directory"},
		{"bad socket", []string{"--input", "socket://nowhere"}, 2, `--input "socket://nowhere": want socket://HOST:PORT`},
		{"unknown flag", []string{"--frobnicate"}, 2, "unknown flag: --frobnicate"},
		{"not supported yet", []string{"-D", "execution.checkpointing.unaligned.enabled=true"}, 2, `execution.checkpointing.unaligned.enabled: unaligned checkpoints are not supported yet`},
		{"incremental on heap", []string{"-D", "execution.checkpointing.incremental=true"}, 2, "the hashmap backend takes full checkpoints only; set state.backend.type: pebble"},
		{"bad restart option", []string{"-D", "restart-strategy.fixed-delay.attempts=-1"}, 2, "restart-strategy.fixed-delay.attempts"},
		{"refused socket", []string{"--input", "socket://127.0.0.1:1"}, 1, "Socket (1/1) failed: socket source: cannot connect to 127.0.0.1:1"},
		{"unwritable output", []string{"--output", "/proc/weir-out"}, 1, "/proc/weir-out"},
		{"gs output", []string{"--output", "gs://bucket/out"}, 2, `--output "gs://bucket/out": gs:// URLs are not supported, only local paths (path, /abs/path or file:///abs/path), s3://bucket/prefix, - or discard`},
		{"bad s3 output", []string{"--output", "s3://bucket/out?colour=blue"}, 2, `--output: file sink s3://bucket/out: unknown query parameter "colour"`},
		{"s3 input", []string{"--input", "s3://bucket/in"}, 2, `--input "s3://bucket/in": s3:// URLs are not supported, only local paths (path, /abs/path or file:///abs/path), or socket://HOST:PORT`},
		{"bad log format", []string{"--log-format", "xml"}, 2, `--log-format "xml": want text or json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "wordcount", "--input", in}, tc.args...)
			r := runWeir(t, "", args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			lastLine := lines[len(lines)-1]
			if !strings.HasPrefix(lastLine, "weir: ") || !strings.Contains(lastLine, tc.says) {
				t.Fatalf("last stderr line %q does not say %q", lastLine, tc.says)
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("stack dump on stderr: %s", r.stderr)
			}
		})
	}
}

func TestFailOnNamesOperatorSubtaskAndCause(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("a b\nERROR\nc\n"), 0o644)
	r := runWeir(t, "", "run", "wordcount", "--input", in, "--fail-on", "ERROR")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if want := `weir: job wordcount failed: Split (1/1) failed: line "ERROR" matches --fail-on`; !strings.Contains(r.stderr, want+"\n") {
		t.Fatalf("stderr %q lacks %q", r.stderr, want)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if r := runWeir(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "weir ") {
		t.Fatalf("version: %+v", r)
	}
	if r := runWeir(t, "", "help", "run", "wordcount"); r.code != 0 || !strings.Contains(r.stdout, "--fail-on") {
		t.Fatalf("help: %+v", r)
	}
}

func TestConfigDocIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := writeConfigDoc(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if os.Getenv("WEIR_UPDATE_DOCS") != "" {
		os.WriteFile(path, b.Bytes(), 0o644)
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Fatal("docs/configuration.md is stale: run WEIR_UPDATE_DOCS=1 go test ./cmd/weir -run ConfigDoc")
	}
}

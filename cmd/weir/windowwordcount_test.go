package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sortedLines splits output into its lines, sorted: window firings of
// different words come in no particular order.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

// readDir reads every published part file of a file sink directory.
func readDir(t *testing.T, dir string) string {
	t.Helper()
	parts := committedParts(t, dir)
	var all strings.Builder
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		all.WriteString(parts[name])
	}
	return all.String()
}

func writeInput(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWindowWordCountFile(t *testing.T) {
	// Out of order by at most 2 s, so nothing is late with
	// --out-of-orderness 2s, whenever the watermarks come.
	in := writeInput(t, "1000 a b a\n2500 b c\n1200 a\n\n6000 a\n3000 b\n12000 c\n")
	for _, c := range []struct {
		window string
		want   []string
	}{
		// [0,5000): a 1000,1000,1200; b 1000,2500,3000; c 2500.
		{"tumbling:5s", []string{"0,5000,a,3", "0,5000,b,3", "0,5000,c,1", "5000,10000,a,1", "10000,15000,c,1"}},
		// Windows of 5 s every 2.5 s: each timestamp is in two.
		{"sliding:5s:2500", []string{
			"-2500,2500,a,3", "-2500,2500,b,1", "0,5000,a,3", "0,5000,b,3", "0,5000,c,1",
			"2500,7500,a,1", "2500,7500,b,2", "2500,7500,c,1", "5000,10000,a,1", "7500,12500,c,1", "10000,15000,c,1"}},
		// Sessions with a 3 s gap: a 1000..1200 -> [1000,4200), then 6000;
		// b 1000, 2500, 3000 -> [1000,6000); c 2500, then 12000.
		{"session:3s", []string{"1000,4200,a,3", "6000,9000,a,1", "1000,6000,b,3", "2500,5500,c,1", "12000,15000,c,1"}},
	} {
		want := slices.Clone(c.want)
		slices.Sort(want)
		for _, p := range []string{"1", "2"} {
			t.Run(strings.ReplaceAll(c.window, ":", "-")+"-p"+p, func(t *testing.T) {
				r := runWeir(t, "", "run", "window-wordcount", "--input", in, "--window", c.window, "--out-of-orderness", "2s", "-p", p)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				if got := sortedLines(r.stdout); !slices.Equal(got, want) {
					t.Fatalf("output\n got %q\nwant %q", got, want)
				}
				if strings.Contains(r.stderr, "numLateRecordsDropped") {
					t.Fatalf("late records reported: %s", r.stderr)
				}
			})
		}
	}
	t.Run("files", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		r := runWeir(t, "", "run", "window-wordcount", "--input", in, "--window", "tumbling:5000", "--out-of-orderness", "2000", "--output", out)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		want := []string{"0,5000,a,3", "0,5000,b,3", "0,5000,c,1", "10000,15000,c,1", "5000,10000,a,1"}
		if got := sortedLines(readDir(t, out)); !slices.Equal(got, want) {
			t.Fatalf("output\n got %q\nwant %q", got, want)
		}
	})
}

func TestWindowWordCountLateOutput(t *testing.T) {
	// Windows of 10 s kept 5 s after their end; no out-of-orderness, and
	// a watermark with every record (pipeline.auto-watermark-interval=0),
	// so lateness follows from the input order alone:
	//   1000 a b   wm 999
	//   4000 a     wm 3999
	//   11000 b c  wm 10999: fires [0,10000): a 2, b 1
	//   2000 a     [0,10000) is kept until 9999+5000 = 14999: late firing, a 3
	//   15000 c    wm 14999: [0,10000) is cleared
	//   3000 a b   beyond the allowed lateness: to the late output, per word
	//   21000 a    wm 20999: fires [10000,20000): b 1, c 2
	// The end of the input fires [20000,30000): a 1.
	in := writeInput(t, "1000 a b\n4000 a\n11000 b c\n2000 a\n15000 c\n3000 a b\n21000 a\n")
	want := []string{"0,10000,a,2", "0,10000,b,1", "0,10000,a,3", "10000,20000,b,1", "10000,20000,c,2", "20000,30000,a,1"}
	slices.Sort(want)
	t.Run("late-output", func(t *testing.T) {
		late := filepath.Join(t.TempDir(), "late")
		r := runWeir(t, "", "run", "window-wordcount", "--input", in, "--window", "tumbling:10s", "--allowed-lateness", "5s",
			"--late-output", late, "-D", "pipeline.auto-watermark-interval=0")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := sortedLines(r.stdout); !slices.Equal(got, want) {
			t.Fatalf("output\n got %q\nwant %q", got, want)
		}
		if got := sortedLines(readDir(t, late)); !slices.Equal(got, []string{"3000 a", "3000 b"}) {
			t.Fatalf("late output %q", got)
		}
	})
	t.Run("dropped-and-counted", func(t *testing.T) {
		r := runWeir(t, "", "run", "window-wordcount", "--input", in, "--window", "tumbling:10s", "--allowed-lateness", "5s",
			"-D", "pipeline.auto-watermark-interval=0")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := sortedLines(r.stdout); !slices.Equal(got, want) {
			t.Fatalf("output\n got %q\nwant %q", got, want)
		}
		if !strings.Contains(r.stderr, "numLateRecordsDropped=2") {
			t.Fatalf("the two late words are not reported:\n%s", r.stderr)
		}
	})
}

func TestWindowWordCountRefusals(t *testing.T) {
	in := writeInput(t, "1000 a\nfoo bar\n")
	r := runWeir(t, "", "run", "window-wordcount", "--input", in, "--window", "tumbling:1s")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "weir: job window-wordcount failed: Parse (1/1) failed: line \"foo bar\": want <epoch-milliseconds> <words...>\n") {
		t.Fatalf("malformed line: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"--window", "tumbling"},
		{"--window", "sliding:1s"},
		{"--window", "session:0"},
		{"--window", "hopping:1s"},
		{"--window", "tumbling:1s", "--out-of-orderness", "soon"},
		{"--window", "tumbling:1s", "--allowed-lateness", "-1s"},
		{},
	} {
		r := runWeir(t, "", append([]string{"run", "window-wordcount", "--input", in}, args...)...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("%q: exit %d, stderr:\n%s", args, r.code, r.stderr)
		}
	}
}

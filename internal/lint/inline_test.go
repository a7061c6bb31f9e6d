package lint

import (
	"bufio"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// helperPackages are the packages whose generic code a user's job
// instantiates: their small non-generic helpers must inline there.
var helperPackages = []string{"operator", "state", "codec", "internal/keygroup"}

// userPackages stand for users' jobs: they import the weir package and
// the connectors, not operator, state or codec.
var userPackages = []string{"examples/nexmark", "jobs/wordcount"}

// coldCalls are inlinable helpers that a user's package may still call:
// each on a path that runs per job, per failure or per session window, or
// (the codec's varint writers) a call the record path made before the
// operators moved too, measured no slower than inlining it.
var coldCalls = map[string]string{
	"codec.appendUvarint":                   "per varint field, as before the move",
	"codec.appendVarint":                    "per varint field, as before the move",
	"codec.corruptf":                        "a damaged record",
	"codec.withPath":                        "a damaged record",
	"state.kindName":                        "an error's words",
	"state.groupPrefix":                     "restore and snapshot, per key group",
	"state.prefixEnd":                       "pebble range deletes",
	"state.appendStateKey":                  "pebble state registration",
	"state.newDiskWatch":                    "pebble backend start",
	"operator.newSplitWatermarks":           "source start",
	"operator.splitWatermarks.end":          "a source split ends",
	"operator.Context.OnCheckpointComplete": "operator open",
	"operator.Context.OnClose":              "operator open",
	"operator.Context.OperatorMetrics":      "operator build, source open and per fetched batch",
	"operator.Metrics.LateRecordsDropped":   "operator build (registers the counter)",
	"operator.Metrics.SetPending":           "per fetched batch, on the source's fetcher goroutine",
	"operator.insertWindow":                 "session windows merging",
	"operator.TimeWindow.intersects":        "session windows merging",
	"operator.TimeWindow.cover":             "session windows merging",
}

// TestUserPackageInlinesHelpers compiles a job's package and fails when its
// code calls a small helper of operator, state, codec or keygroup that the
// compiler could inline. The operators are generic, so their methods are
// compiled in the job's package, and the compiler inlines a non-generic
// helper there only when the weir package inlines it too (see inline.go in
// the module's root). A helper that is missed costs a call per record:
// Nexmark q5 lost 4 to 6% that way when the operators left the weir package.
func TestUserPackageInlinesHelpers(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a job's package with -S")
	}
	root := moduleRoot(t)
	module, _ := listPackages(t, root)
	args := []string{"build"} // neither is a main package: nothing is written
	for _, p := range helperPackages {
		args = append(args, "-gcflags="+module+"/"+p+"=-m")
	}
	for _, p := range userPackages {
		args = append(args, "-gcflags="+module+"/"+p+"=-S")
	}
	for _, p := range userPackages {
		args = append(args, "./"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	canInline := regexp.MustCompile(`: can inline (\S+)`)
	call := regexp.MustCompile(`\tCALL\t(?:` + regexp.QuoteMeta(module) + `/|encoding/)(\S+)\(SB\)`)
	// "operator.TimeWindow.MaxTimestamp"; and the varint readers and
	// writers of encoding/binary, which frame every record.
	inlinable := map[string]bool{"binary.Uvarint": true, "binary.AppendUvarint": true}
	called := map[string]int{}
	pkg := ""
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "# "+module+"/"); ok {
			pkg = p
			continue
		}
		if m := canInline.FindStringSubmatch(line); m != nil && slices.Contains(helperPackages, pkg) {
			if !strings.Contains(m[1], "[") { // generic code is compiled in the user's package anyway
				inlinable[shortName(pkg, m[1])] = true
			}
			continue
		}
		if m := call.FindStringSubmatch(line); m != nil {
			called[normalizeCall(m[1])]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	if len(inlinable) == 0 || len(called) == 0 {
		t.Fatalf("read %d inlinable helpers and %d callees from the compiler: its output changed?", len(inlinable), len(called))
	}
	for name, n := range called {
		if _, cold := coldCalls[name]; inlinable[name] && !cold {
			t.Errorf("%s call %s %d times: add it to inlineHelpers in inline.go, so that a job's package can inline it", strings.Join(userPackages, " and "), name, n)
		}
	}
}

// shortName writes a helper as the calls name it: the package's last path
// element, the receiver type without pointer, the method.
func shortName(pkg, fn string) string {
	fn = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(fn)
	return pkg[strings.LastIndex(pkg, "/")+1:] + "." + fn
}

// normalizeCall turns "operator.(*Foo).Bar" into "operator.Foo.Bar" and
// "internal/keygroup.Of" into "keygroup.Of".
func normalizeCall(s string) string {
	s = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(s)
	if i := strings.LastIndex(s[:strings.Index(s, ".")], "/"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

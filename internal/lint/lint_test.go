package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A rule is one row of the layering table. Package names are relative to the
// module: "." is the root package weir, "x/..." is x and every package below
// it, and "..." is every package of the module.
type rule struct {
	who    string   // the packages the row is about
	except []string // of those, the ones the row leaves alone
	// only, when not nil, lists the weir packages they may import; any
	// other weir import breaks the row. nothing (empty, not nil) allows none.
	only []string
	// never lists weir packages they must not import (a plain statement of
	// the design's "never", even where only already excludes it).
	never []string
	// stdlibOnly forbids imports from outside the module and the standard
	// library.
	stdlibOnly bool
	// neverDeps lists full import paths (or patterns of them), in or out of
	// the module, that must not be among their dependencies, direct or
	// indirect.
	neverDeps []string
}

// nothing is an only list that allows no weir package at all.
var nothing = []string{}

// rules is section 6 of ../../../shared/DESIGN.md ("Where the code lives")
// as a test. internal/... is the module's own toolbox and is allowed where
// a row says so; codec is listed where the package encodes keys or records.
// A row for a package that does not exist yet (operator) waits for it.
var rules = []rule{
	// Nothing imports a command. The web server is wired by the command
	// alone; its wire types (web/api) are shared by the server and the
	// command's client, and by nobody else. Package cli is the command
	// line of every job, the built-in ones and a user's, and wires the web
	// server as cmd/weir did.
	{who: "...", never: []string{"cmd/..."}},
	{who: "...", except: []string{"cmd/...", "web/...", "cli"}, never: []string{"web/..."}},

	// The job's command line may import what cmd/weir imports, cmd/ aside
	// (the first row); nothing but commands and programs imports it.
	{who: "...", except: []string{"cmd/...", "examples/...", "cli"}, never: []string{"cli"}},

	// The root package is the DataStream API: it builds graphs and starts
	// nothing, handing the graph to cluster in one call.
	{who: ".",
		only:  []string{"graph", "state", "connector/...", "codec", "operator/...", "cluster/...", "config", "internal/..."},
		never: []string{"runtime/...", "failover/...", "checkpoint/storage/...", "web/...", "cli"}},

	// Plain data.
	{who: "graph/...", only: []string{"graph/...", "internal/..."}, stdlibOnly: true},

	// Operators: window, join, keyed process, timers, watermark assigner.
	{who: "operator/...",
		only:  []string{"operator/...", "graph", "state", "codec", "connector/...", "internal/..."},
		never: []string{"runtime/...", "cluster/..."}},

	// Source and sink contracts and the connectors themselves; a connector
	// must not drag the engine, or pebble, into a program that uses it.
	{who: "connector/...",
		only:      []string{"connector/...", "codec", "internal/..."},
		never:     []string{"runtime/...", "cluster/..."},
		neverDeps: []string{"github.com/cockroachdb/pebble/..."}},

	// The task manager's side.
	{who: "runtime/...",
		only:  []string{"runtime/...", "graph", "state", "checkpoint/...", "connector/...", "operator/...", "codec", "internal/..."},
		never: []string{"cluster/..."}},

	// The coordinator's state machine, barriers and acks, storage, metadata.
	{who: "checkpoint/...",
		only:  []string{"checkpoint/...", "graph", "state", "codec", "internal/..."},
		never: []string{"runtime/...", "cluster/..."}},

	// Keyed and operator state behind one interface (pebble is fine here).
	{who: "state/...", only: []string{"state/...", "codec", "internal/..."}},

	// The job manager's side. Beyond the design's list (runtime, checkpoint,
	// failover, config) it reads the graph it runs, keeps the local state
	// directory and the heap budget's error (state), and logs the plain-words
	// checkpoint explanation (diagnosis); the design's row should say so.
	{who: "cluster/...",
		only: []string{"cluster/...", "runtime/...", "checkpoint/...", "failover", "config",
			"graph", "state", "diagnosis", "internal/..."}},

	// Restart strategies: pure functions of time and failures.
	{who: "failover", only: []string{"config"}},

	// Every option; the one source of truth imports no weir package.
	{who: "config", only: nothing},

	// The REST API and dashboard read the cluster's views.
	{who: "web/...", only: []string{"web/...", "cluster/...", "diagnosis", "internal/..."}},

	// Plain-words explanation of checkpoint statistics.
	{who: "diagnosis", only: []string{"checkpoint", "graph", "internal/..."}}, // graph: the vertices' figures, plain data

	// Hashing, units and such: nothing of weir outside internal/. The test
	// harnesses (testjobs, this package) run jobs and may import anything.
	{who: "internal/...",
		except: []string{"internal/testjobs/...", "internal/lint"},
		only:   []string{"internal/..."}},

	// cmd/... is flags and wiring and may import anything; jobs/... and
	// examples/... are programs written against the API, held only to the
	// first two rows.
}

// An arrow is one import: from a weir package (relative name) to another
// (relative name) or, for a dependency check, to an outside import path.
type arrow struct{ from, to string }

func (a arrow) String() string { return a.from + " -> " + a.to }

// pending lists the arrows that are broken today while issue 20 moves code
// into its place, each with why. The test fails when one of them is no
// longer broken: delete its line then.
var pending = map[arrow]string{
	{".", "checkpoint"}: "building a keyed operator's state backend (keyed.go, newKeyedBackend) checks " +
		"checkpoint.FormatPebble; it belongs with the operators, which would then import config: issue 20 item 3",
	{"connector/file", "failover"}: "the file source's fatal errors wrap failover.ErrNoRestart; the sentinel " +
		"belongs where connectors may reach it: issue 20 item 3",
	{"connector/nexmark", "config"}: "nexmark parses sizes and durations with config's parsers; DESIGN §6 " +
		"lists only codec and internal for connectors: issue 20 item 5",
	{"web", "checkpoint"}: "the web server still reads checkpoint statistics directly: issue 20 item 4",
	{"web", "config"}:     "the web server still reads the job's configuration directly: issue 20 item 4",
	{"operator", "checkpoint"}: "an operator's snapshot names checkpoint.Distribution and the state formats; " +
		"DESIGN §6 lists graph, state, codec and connector for operators: page or code to change (issue 20 item 3)",
	{"cluster", "operator"}: "the job manager builds operator.StateBackendConfig for the subtasks; " +
		"the backend's settings belong with state or config: issue 20 items 1 and 3",
	{"internal/keygroup", "codec"}: "key groups hash a key's codec bytes; DESIGN §6 says internal imports " +
		"only the standard library: page or code to change",
}

// TestLint checks the import arrows and runs the tool checks.
func TestLint(t *testing.T) {
	root := moduleRoot(t)
	t.Run("Imports", func(t *testing.T) { testImports(t, root) })
	t.Run("Gofmt", func(t *testing.T) { testGofmt(t, root) })
	t.Run("Vet", func(t *testing.T) { testVet(t, root) })
	t.Run("Staticcheck", func(t *testing.T) { testStaticcheck(t, root) })
}

func testImports(t *testing.T, root string) {
	module, pkgs := listPackages(t, root)
	rel := func(path string) (string, bool) {
		if path == module {
			return ".", true
		}
		if r, ok := strings.CutPrefix(path, module+"/"); ok {
			return r, true
		}
		return "", false
	}

	// broken maps each broken arrow to the rows it breaks.
	broken := map[arrow][]string{}
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		for _, r := range rules {
			if !match(r.who, from) || matchAny(r.except, from) {
				continue
			}
			for _, imp := range p.Imports {
				to, weir := rel(imp)
				switch {
				case weir && matchAny(r.never, to):
					broken[arrow{from, to}] = append(broken[arrow{from, to}],
						fmt.Sprintf("%s never imports %s", r.who, strings.Join(r.never, ", ")))
				case weir && r.only != nil && !matchAny(r.only, to):
					broken[arrow{from, to}] = append(broken[arrow{from, to}],
						fmt.Sprintf("%s imports only %s", r.who, describe(r.only)))
				case !weir && r.stdlibOnly && !standard(imp):
					broken[arrow{from, imp}] = append(broken[arrow{from, imp}],
						fmt.Sprintf("%s imports only weir packages and the standard library", r.who))
				}
			}
			for _, never := range r.neverDeps {
				i := slices.IndexFunc(p.Deps, func(dep string) bool { return match(never, dep) })
				if i < 0 {
					continue
				}
				a := arrow{from, never + " (indirectly)"}
				broken[a] = append(broken[a], fmt.Sprintf("%s must not depend on %s, even indirectly; it reaches %s",
					r.who, never, p.Deps[i]))
			}
		}
	}

	for _, a := range sortedArrows(broken) {
		if _, ok := pending[a]; ok {
			continue
		}
		t.Errorf("%s breaks DESIGN §6 (%s); fix the import, or, if it is a planned step of a refactor, "+
			"add it to the pending table with the reason", a, strings.Join(slices.Compact(broken[a]), "; "))
	}
	for _, a := range sortedArrows(pending) {
		if _, ok := broken[a]; !ok {
			t.Errorf("pending exception %s no longer needed: remove it (it was: %s)", a, pending[a])
		}
	}
}

// goPackage holds the fields of `go list -json` the test reads.
type goPackage struct {
	ImportPath string
	Module     *struct{ Path string }
	Imports    []string
	Deps       []string
}

// listPackages returns the module's path and its packages, as go list sees
// them. -e keeps a package whose code does not build in the list: building
// is not this test's business, its imports are.
func listPackages(t *testing.T, root string) (string, []goPackage) {
	t.Helper()
	out := run(t, root, "go", "list", "-e", "-json", "./...")
	var module string
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decoding go list's output: %v", err)
		}
		if p.Module != nil {
			module = p.Module.Path
		}
		pkgs = append(pkgs, p)
	}
	if module == "" {
		t.Fatalf("go list in %s named no module", root)
	}
	return module, pkgs
}

// match reports whether the relative package name pkg matches pattern:
// "..." matches every package, "x/..." matches x and the packages below it,
// anything else matches itself. Outside import paths match the same way.
func match(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, pkg) })
}

func describe(only []string) string {
	if len(only) == 0 {
		return "no weir package"
	}
	return strings.Join(only, ", ")
}

// standard reports whether an import path outside the module belongs to the
// standard library: its first element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func sortedArrows[V any](m map[arrow]V) []arrow {
	as := make([]arrow, 0, len(m))
	for a := range m {
		as = append(as, a)
	}
	slices.SortFunc(as, func(a, b arrow) int { return strings.Compare(a.String(), b.String()) })
	return as
}

func testGofmt(t *testing.T, root string) {
	if testing.Short() {
		t.Skip("gofmt over the module is slow; skipped under -short")
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch name := d.Name(); {
			case path == root:
			case name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	gofmt := filepath.Join(strings.TrimSpace(string(run(t, root, "go", "env", "GOROOT"))), "bin", "gofmt")
	if _, err := os.Stat(gofmt); err != nil {
		gofmt = "gofmt"
	}
	out, err := command(root, gofmt, append([]string{"-l"}, files...)...)
	if err != nil {
		t.Fatalf("gofmt -l: %v\n%s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("gofmt would change these files (run gofmt -w on them):\n%s", out)
	}
}

func testVet(t *testing.T, root string) {
	if testing.Short() {
		t.Skip("go vet ./... is slow; skipped under -short")
	}
	if out, err := command(root, "go", "vet", "./..."); err != nil {
		t.Errorf("go vet ./...: %v\n%s", err, out)
	}
}

// staticcheckInstall is how scripts/test.sh installs staticcheck.
const staticcheckInstall = "GOBIN=$PWD/.testenv/bin go install honnef.co/go/tools/cmd/staticcheck@v0.8.2"

func testStaticcheck(t *testing.T, root string) {
	if testing.Short() {
		t.Skip("staticcheck ./... is slow; skipped under -short")
	}
	bin, err := exec.LookPath("staticcheck")
	if err != nil {
		bin = ""
		candidates := []string{filepath.Join(root, ".testenv", "bin", "staticcheck")}
		if dir := os.Getenv("WEIR_TEST_DIR"); dir != "" {
			candidates = append(candidates, filepath.Join(dir, "bin", "staticcheck"))
		}
		for _, c := range candidates {
			if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
				bin = c
				break
			}
		}
	}
	if bin == "" {
		t.Skipf("staticcheck is not on PATH, in .testenv/bin or in $WEIR_TEST_DIR/bin; "+
			"install it from the module root with: %s (scripts/test.sh does this)", staticcheckInstall)
	}
	if out, err := command(root, bin, "./..."); err != nil {
		t.Errorf("staticcheck ./...: %v\n%s", err, out)
	}
}

// moduleRoot walks up from the test's directory to the one holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// command runs name in dir and returns its standard output and error
// together.
func command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// run runs name in dir and returns its standard output, failing the test
// with its standard error when it fails.
func run(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, firstLines(stderr.String(), 40))
	}
	return out
}

// firstLines keeps a long error output readable.
func firstLines(s string, n int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var b strings.Builder
	for i := 0; sc.Scan(); i++ {
		if i == n {
			b.WriteString("...\n")
			break
		}
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

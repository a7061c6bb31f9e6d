package lint

import (
	"strings"
	"testing"
)

// heavyModules are modules the weir command must not link: each once made
// the first `go run ./cmd/weir` download hundreds of megabytes (810 MB
// before they went, 282 MB after; README, "The word count"). They came in
// through gocloud.dev/blob for S3 checkpoint storage, which
// internal/objstore replaced. To allow one again, delete its line here and
// give the reason in the commit (and the new figures in the README).
//
// gRPC is listed because nothing needs it today; the cluster's remote
// protocol may bring it (or connectrpc) back on purpose: then drop its line.
var heavyModules = []string{
	"gocloud.dev",                       // blob API over every cloud: gRPC, OpenTelemetry, google.golang.org/api
	"google.golang.org/api",             // Google's REST clients, about 400 MB of source
	"google.golang.org/grpc",            // gRPC
	"google.golang.org/genproto",        // Google's generated protos, with gRPC
	"go.opentelemetry.io",               // OpenTelemetry
	"github.com/googleapis/gax-go",      // Google API call helpers
	"github.com/google/wire",            // gocloud.dev's dependency injection
	"cloud.google.com/go",               // Google Cloud clients
	"github.com/Azure/azure-sdk-for-go", // Azure clients
}

// TestNoHeavyModules fails when a package of a heavy module is among the
// weir command's dependencies, once per module, naming a package of it and
// what imports that package.
func TestNoHeavyModules(t *testing.T) {
	root := moduleRoot(t)
	out := run(t, root, "go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./cmd/weir")
	importers := map[string][]string{}
	var deps []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		deps = append(deps, fields[0])
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	if len(deps) < 10 {
		t.Fatalf("go list -deps ./cmd/weir listed %d packages; expected the command's whole tree", len(deps))
	}
	reported := map[string]bool{}
	for _, dep := range deps {
		for _, m := range heavyModules {
			if (dep == m || strings.HasPrefix(dep, m+"/")) && !reported[m] {
				reported[m] = true
				t.Errorf("./cmd/weir depends on module %s (package %s, imported by %s): a heavy module the first `go run` would download; see heavyModules in internal/lint/deps_test.go",
					m, dep, strings.Join(importers[dep], ", "))
			}
		}
	}
}

// Package lint holds no code, only tests. docs_test.go checks the
// Markdown documentation: every link to a heading (docs/x.md#anchor) names
// a heading the file has, and no heading names an internal issue number,
// which a reader cannot look up. lint_test.go checks that the
// module's import arrows are the ones section 6 of the design ("Where the
// code lives") draws, and runs gofmt, go vet and staticcheck over the whole
// module, so that `go test ./...` alone catches a broken layering or an
// unformatted file.
//
// The arrows are written as a table of rules in lint_test.go, one row per
// package of the design's table: which weir packages a package may import,
// which it must never import, and which outside modules must not reach it
// even indirectly (pebble must not reach the connectors). Only a package's
// own (non-test) imports are checked; tests may import what they need.
//
// An arrow that is broken on purpose while a refactor is under way is listed
// in the test's pending table with a one-line reason. The test fails for a
// broken arrow that is not listed, and also for a listed one that is no
// longer broken, so the table shrinks as the refactor lands and cannot hide
// a regression once an arrow has been fixed.
//
// inline_test.go compiles two packages that stand for users' jobs and fails
// when their code calls a small helper of operator, state, codec or keygroup
// that the compiler could have inlined: the operators' generic methods are
// compiled in the job's package, where such a helper inlines only if the
// weir package's inline.go lists it.
//
// The tool checks (gofmt, vet, staticcheck) and the inlining check are
// slow and are skipped under `go test -short`. staticcheck is looked for on
// PATH, then in .testenv/bin and $WEIR_TEST_DIR/bin (where scripts/test.sh
// installs it); when it is absent that check is skipped with the command
// that installs it.
package lint

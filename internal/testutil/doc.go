// Package testutil holds helpers shared by the tests of several packages
// (the root package, the connectors, the examples). It is imported only
// from _test.go files.
package testutil

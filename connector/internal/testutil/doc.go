// Package testutil holds helpers shared by the connector tests. It is
// imported only from _test.go files.
package testutil

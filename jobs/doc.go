// Package jobs holds Weir's built-in jobs, each in its own package, written
// with the public API as a user would write them. The weir command runs
// them; tests and benchmarks declare them directly.
package jobs

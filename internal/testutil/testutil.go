package testutil

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// CheckGoroutines records the number of goroutines now and, when the test
// ends, fails it if that number has not come back within two seconds: every
// goroutine a connector starts must be joined by Close. Tests that use it
// must not call t.Parallel.
func CheckGoroutines(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d goroutines before the test, %d after\n%s", before, n, trimStacks(string(buf)))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func trimStacks(s string) string {
	const max = 8000
	if len(s) > max {
		return s[:max] + "\n..."
	}
	return strings.TrimSpace(s)
}

// Await polls cond every millisecond until it holds, and fails the test
// with failure()'s words (read at that moment) if it does not within
// timeout. It is how a test waits for something to happen, instead of
// sleeping for a guess.
func Await(t testing.TB, timeout time.Duration, cond func() bool, failure func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", timeout, failure())
		}
		time.Sleep(time.Millisecond)
	}
}

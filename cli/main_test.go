package cli

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the test binary if any goroutine is still running once
// every test has finished: whatever a test starts, it must also stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

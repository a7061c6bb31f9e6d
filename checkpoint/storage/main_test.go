package storage

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the test binary if any goroutine is still running once
// every test has finished: whatever a test starts, it must also stop.
//
// Against a real S3-compatible server (TestS3Integration), the AWS SDK's
// HTTP client keeps its idle keep-alive connections after Storage.Close,
// each with a read and a write goroutine, until the server or the
// transport's idle timeout (90s) closes them. TestS3Fake does not see them
// because closing its httptest server drops the connections. Those two
// goroutines are ignored only when the integration test runs.
func TestMain(m *testing.M) {
	var opts []goleak.Option
	if os.Getenv("WEIR_TEST_S3_URL") != "" {
		opts = append(opts,
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
	}
	goleak.VerifyTestMain(m, opts...)
}

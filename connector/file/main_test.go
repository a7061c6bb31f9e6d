package file

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the test binary if any goroutine is still running once
// every test has finished: whatever a test starts, it must also stop.
//
// Against a real S3-compatible server (the S3 sink's tests), the AWS SDK's
// HTTP client keeps its idle keep-alive connections, each with a read and a
// write goroutine, until the transport's idle timeout (90s) closes them;
// those two are ignored only when those tests run (as in
// checkpoint/storage).
func TestMain(m *testing.M) {
	var opts []goleak.Option
	if os.Getenv("WEIR_TEST_S3_URL") != "" {
		opts = append(opts,
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
	}
	goleak.VerifyTestMain(m, opts...)
}

package socket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector"
)

// TestMaxRecordSize (issue 11 item 10): a record longer than the maximum
// fails the reader with the address, the record's offset in the connection
// and its size, before more than the maximum and one read buffer are held;
// records up to the maximum are read.
func TestMaxRecordSize(t *testing.T) {
	ok := strings.Repeat("k", 1024)
	tests := []struct {
		name    string
		delim   string
		send    string
		want    []string // records read before the error
		wantErr string
	}{
		{"delimited", "\n", "ab\n" + ok + "\r\n" + strings.Repeat("x", 2000) + "\nnext\n", []string{"ab", ok},
			"record too large: the record at byte 1029 of the connection is 2000 bytes (2.0 KiB) long, over source.max-record-size (1.0 KiB): " +
				`raise it (e.g. -D source.max-record-size=2kb) if such records are expected, or check that the peer ends records with "\n"; ` +
				"a restart reconnects, and the record is not read again"},
		{"no delimiter", "\n", "ab\n" + strings.Repeat("x", 200<<10), []string{"ab"},
			"record too large: the record at byte 3 of the connection is more than 65536 bytes (64.0 KiB) long, over source.max-record-size (1.0 KiB): " +
				`raise it (e.g. -D source.max-record-size=128kb)`},
		{"two-byte delimiter", "||", "ab||" + ok + "||" + strings.Repeat("y", 1025) + "||", []string{"ab", ok},
			"the record at byte 1030 of the connection is 1025 bytes (1.0 KiB) long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port := server(t, func(c net.Conn) {
				io.WriteString(c, tc.send) // fails once the reader gave up and the test closed c
			})
			r := open(t, New("127.0.0.1", port, tc.delim).WithMaxRecordSize(1024))
			var got []string
			var err error
			for err == nil && len(got) < 10 {
				var batch []string
				batch, _, err = r.Fetch(context.Background(), make([]string, 0, 8))
				got = append(got, batch...)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("read %d records %.40q, want %.40q", len(got), got, tc.want)
			}
			prefix := fmt.Sprintf("socket source 127.0.0.1:%d: ", port)
			if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v\nwant  %s...%s", err, prefix, tc.wantErr)
			}
			if !errors.Is(err, connector.ErrRecordTooLarge) {
				t.Errorf("error %v does not match connector.ErrRecordTooLarge", err)
			}
		})
	}
}

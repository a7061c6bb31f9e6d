package file

import (
	"os"

	"github.com/weirstream/weir/connector"
)

var _ connector.PendingReporter = (*reader)(nil)

// Pending implements connector.PendingReporter with FLIP-33's pendingBytes:
// the bytes of its files after the offsets read so far, each file's size
// taken once, when Pending first sees it. The records left are unknown
// without reading the lines, so -1; so are the bytes when a file cannot be
// stated (it fails the reader when opened anyway).
func (r *reader) Pending() (records, bytes int64) {
	if r.sizes == nil {
		r.sizes = make(map[string]int64, len(r.splits))
	}
	for _, sp := range r.splits {
		if sp.done {
			continue
		}
		size, ok := r.sizes[sp.path]
		if !ok {
			fi, err := os.Stat(sp.path)
			if err != nil {
				return -1, -1
			}
			size = fi.Size()
			r.sizes[sp.path] = size
		}
		bytes += max(size-sp.offset, 0)
	}
	return -1, bytes
}

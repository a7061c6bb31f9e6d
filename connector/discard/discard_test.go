package discard

import (
	"sync"
	"testing"

	"github.com/weirstream/weir/connector"
)

func TestCount(t *testing.T) {
	tests := []struct {
		parallelism, perWriter int
	}{
		{1, 0}, {1, 10}, {3, 100},
	}
	for _, tc := range tests {
		s := New[string]()
		var wg sync.WaitGroup
		for i := range tc.parallelism {
			w, err := s.CreateWriter(connector.SinkContext{Subtask: i, Parallelism: tc.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				defer w.Close()
				for range tc.perWriter {
					if err := w.Write("x"); err != nil {
						t.Error(err)
					}
				}
				w.Flush(true)
			})
		}
		wg.Wait()
		if got, want := s.Count(), int64(tc.parallelism*tc.perWriter); got != want {
			t.Errorf("p=%d: Count = %d, want %d", tc.parallelism, got, want)
		}
	}
}

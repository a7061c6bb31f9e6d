package collect

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/weirstream/weir/connector"
)

func TestOrderAndSubtasks(t *testing.T) {
	s := New[int]()
	w := make([]connector.SinkWriter[int], 3)
	for i := range w {
		var err error
		if w[i], err = s.CreateWriter(connector.SinkContext{Subtask: i, Parallelism: 3}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct{ subtask, v int }{{2, 20}, {0, 1}, {2, 21}, {0, 2}}
	for _, st := range steps {
		if err := w[st.subtask].Write(st.v); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.Records(), []int{20, 1, 21, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Records = %v, want %v", got, want)
	}
	if got, want := s.BySubtask(), [][]int{{1, 2}, nil, {20, 21}}; !reflect.DeepEqual(got, want) {
		t.Errorf("BySubtask = %v, want %v", got, want)
	}
	// Copies: changing them does not change the sink.
	s.Records()[0] = 99
	s.BySubtask()[0][0] = 99
	if s.Records()[0] != 20 || s.BySubtask()[0][0] != 1 {
		t.Error("accessors return shared slices")
	}
	s.Reset()
	if s.Len() != 0 || len(s.BySubtask()) != 3 || s.BySubtask()[2] != nil {
		t.Errorf("after Reset: %v %v", s.Records(), s.BySubtask())
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := New[int]()
	const p, n = 4, 200
	var wg sync.WaitGroup
	for i := range p {
		w, err := s.CreateWriter(connector.SinkContext{Subtask: i, Parallelism: p})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer w.Close()
			for j := range n {
				w.Write(i*n + j)
			}
			w.Flush(true)
		})
	}
	wg.Wait()
	all := s.Records()
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("records %v...: missing %d", all[:i+1], i)
		}
	}
	if len(all) != p*n {
		t.Fatalf("%d records, want %d", len(all), p*n)
	}
	for i, recs := range s.BySubtask() {
		if len(recs) != n || !slices.IsSorted(recs) || recs[0] != i*n {
			t.Errorf("subtask %d: %d records, first %d", i, len(recs), recs[0])
		}
	}
}

package web_test

import (
	"testing"

	"github.com/weirstream/weir/web"
)

// TestPercentile checks the estimation against Apache Commons Math's
// Percentile (Flink's checkpoint summary), worked by hand.
func TestPercentile(t *testing.T) {
	ten := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		in   []int64
		p    float64
		want float64
	}{
		{ten, 50, 5.5}, // position 5.5: between 5 and 6
		{ten, 90, 9.9}, // position 9.9
		{ten, 95, 10},  // position 10.45: the largest
		{ten, 99.9, 10},
		{ten, 5, 1}, // position 0.55: the smallest
		{[]int64{7}, 50, 7},
		{[]int64{10, 20}, 50, 15},
	} {
		if got := web.Percentile(c.in, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.in, c.p, got, c.want)
		}
	}
}

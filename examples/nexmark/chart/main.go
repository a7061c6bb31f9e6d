package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// flink is Flink 1.13's throughput per core from the nexmark/nexmark
// suite's published results (GUIDE_V1.md: 100 million events, 8 workers
// of its own hardware), in events per second per core.
var flink = map[string]float64{
	"q0": 155_020, "q1": 157_940, "q2": 175_210, "q3": 152_120,
	"q4": 34_330, "q5": 22_140, "q7": 12_330, "q8": 146_140,
}

var queries = []string{"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"}

type report struct {
	Job          string  `json:"job"`
	Parallelism  int     `json:"parallelism"`
	PerCore      float64 `json:"events_per_second_per_core"`
	StateBackend string  `json:"state_backend"` // "" in reports from before it was recorded: hashmap
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	runs := map[string][]float64{} // "q0/1" -> per-core figures
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("line %q: %w", line, err)
		}
		q := strings.TrimPrefix(r.Job, "nexmark-")
		if r.StateBackend == "" {
			r.StateBackend = "hashmap"
		}
		k := fmt.Sprintf("%s/%d/%s", q, r.Parallelism, r.StateBackend)
		runs[k] = append(runs[k], r.PerCore)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	series := []struct {
		name, color string
		missing     string // what a bar without a figure says
		value       func(q string) float64
	}{
		{"Weir, heap, parallelism 1", "#1f77b4", "not measured", func(q string) float64 { return median(runs[q+"/1/hashmap"]) }},
		{"Weir, heap, parallelism 2", "#6baed6", "not measured", func(q string) float64 { return median(runs[q+"/2/hashmap"]) }},
		{"Weir, pebble, parallelism 1", "#2ca02c", "not measured (no keyed state: the same as heap)", func(q string) float64 { return median(runs[q+"/1/pebble"]) }},
		{"Weir, pebble, parallelism 2", "#98df8a", "not measured (no keyed state: the same as heap)", func(q string) float64 { return median(runs[q+"/2/pebble"]) }},
		{"Flink 1.13 (published, other hardware)", "#ff7f0e", "not published (Flink cannot run q6: FLINK-19059)", func(q string) float64 { return flink[q] }},
	}
	const (
		left, right, top, barH, gap, groupGap = 60, 40, 50, 14, 2, 16
		width                                 = 820
		minV, maxV                            = 1e4, 1e8
	)
	groupH := len(series)*(barH+gap) + groupGap
	height := top + len(queries)*groupH + 80
	plotW := float64(width - left - right)
	x := func(v float64) float64 {
		v = math.Min(math.Max(v, minV), maxV)
		return left + plotW*math.Log10(v/minV)/math.Log10(maxV/minV)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15" font-weight="bold">Nexmark: events per second per core (log scale), checkpoints every 10 s</text>`+"\n", left)
	for v := minV; v <= maxV; v *= 10 {
		xv := x(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", xv, top-5, xv, height-75)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", xv, height-60, human(v))
	}
	for i, q := range queries {
		y0 := top + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-weight="bold">%s</text>`+"\n", left-10, y0+len(series)*(barH+gap)/2+4, q)
		for j, s := range series {
			v := s.value(q)
			y := y0 + j*(barH+gap)
			if v <= 0 {
				fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#999">%s</text>`+"\n", left+4, y+barH-3, s.missing)
				continue
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, x(v)-left, barH, s.color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#222">%s</text>`+"\n", x(v)+4, y+barH-3, human(v))
		}
	}
	// The legend, two entries a row.
	for i, s := range series {
		lx, ly := left+(i%2)*(width-left-right)/2, height-28+(i/2)*18-18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, ly-10, s.color, lx+16, ly, s.name)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f K", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

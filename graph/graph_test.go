package graph

import (
	"errors"
	"strings"
	"testing"
)

func chain(g *Graph, names ...string) {
	for i, n := range names {
		node := &Node{Name: n}
		if i == 0 {
			node.Kind = KindSource
		} else {
			node.Inputs = []Edge{{From: i - 1}}
		}
		g.Add(node)
	}
}

func TestResolveRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(g *Graph)
		says string
	}{
		{"parallelism above max", func(g *Graph) { g.Nodes[1].Parallelism = 200 }, `operator "Map" has parallelism 200 above pipeline.max-parallelism 128`},
		{"duplicate uid", func(g *Graph) { g.Nodes[1].UID, g.Nodes[2].UID = "x", "x" }, `operators "Map" and "Sink" share the UID "x"`},
		{"hash without key", func(g *Graph) { g.Nodes[1].Inputs[0].Partitioning = Hash }, `hash edge into "Map" has no key selector`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &Graph{}
			chain(g, "Source", "Map", "Sink")
			tc.edit(g)
			err := g.Resolve(1, 128)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v, want one saying %q", err, tc.says)
			}
		})
	}
}

// A default parallelism out of range is refused once, not once for every
// operator that takes it; an operator's own parallelism is named with it.
func TestResolveBadDefaultSaidOnce(t *testing.T) {
	g := &Graph{}
	chain(g, "Source", "Map", "Filter", "Sink")
	err := g.Resolve(300, 128)
	want := "invalid job graph: parallelism 300 (parallelism.default) is above pipeline.max-parallelism 128; lower it or raise pipeline.max-parallelism"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	g = &Graph{}
	chain(g, "Source", "Map", "Sink")
	g.Nodes[1].Parallelism = 200
	err = g.Resolve(0, 128)
	want = "invalid job graph: parallelism.default 0: it must be at least 1\n" +
		`invalid job graph: operator "Map" has parallelism 200 above pipeline.max-parallelism 128`
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestChainingRules(t *testing.T) {
	g := &Graph{}
	chain(g, "Source", "Map", "Filter", "Sink")
	g.Nodes[2].Parallelism = 3 // forward to another parallelism becomes rebalance
	if err := g.Resolve(2, 128); err != nil {
		t.Fatal(err)
	}
	if g.Nodes[2].Inputs[0].Partitioning != Rebalance {
		t.Fatalf("forward edge between parallelism 2 and 3 is %v, want REBALANCE", g.Nodes[2].Inputs[0].Partitioning)
	}
	p := g.Build()
	var names []string
	for _, v := range p.Vertices {
		names = append(names, v.Name)
	}
	// Sink has parallelism 2 after Filter's 3: another rebalance, no chain.
	if got, want := strings.Join(names, " | "), "Source: Source -> Map | Filter | Sink"; got != want {
		t.Fatalf("vertices %q, want %q", got, want)
	}
	if g.Nodes[1].UID != "map-1" {
		t.Fatalf("derived UID %q, want map-1", g.Nodes[1].UID)
	}
}

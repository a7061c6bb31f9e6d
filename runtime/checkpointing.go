package runtime

import (
	"github.com/weirstream/weir/graph"
)

// SinksWithoutRetraction names, in graph order, the sink operators of g
// whose sink is not a connector.RetractingSink: the ones that may repeat output when
// a job restores an older checkpoint than the newest that committed.
func SinksWithoutRetraction(g *graph.Graph) []string {
	var names []string
	for _, n := range g.Nodes {
		if s, ok := n.Impl.(interface{ Retracts() bool }); ok && !s.Retracts() {
			names = append(names, n.Name)
		}
	}
	return names
}

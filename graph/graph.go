package graph

import (
	"errors"
	"fmt"
	"strings"
)

// Partitioning says how an edge spreads records over the consumer's
// subtasks.
type Partitioning int

const (
	// Forward sends subtask i's records to subtask i; both sides must have
	// the same parallelism.
	Forward Partitioning = iota
	// Rebalance sends records round-robin to every consumer subtask.
	Rebalance
	// Hash sends each record to the subtask owning its key group.
	Hash
	// Broadcast sends every record to every consumer subtask.
	Broadcast
)

func (p Partitioning) String() string {
	switch p {
	case Forward:
		return "FORWARD"
	case Rebalance:
		return "REBALANCE"
	case Hash:
		return "HASH"
	case Broadcast:
		return "BROADCAST"
	}
	return fmt.Sprintf("Partitioning(%d)", int(p))
}

// Kind is what a node does.
type Kind int

// Node kinds.
const (
	KindOperator Kind = iota
	KindSource
	KindSink
)

// Node is one operator of the logical graph.
type Node struct {
	ID          int    // index in Graph.Nodes
	Name        string // shown in logs, errors and the dashboard
	UID         string // stable identity of the operator's state across runs
	Parallelism int    // 0 until resolved against the job default
	Kind        Kind
	Keyed       bool // the node reads keyed state; its input is a Hash edge
	// NoChain keeps the node out of its input's chain (Flink's
	// disableChaining).
	NoChain bool
	Inputs  []Edge
	// Impl is the runtime's builder for this node; opaque here.
	Impl any
}

// Edge connects a producer node to a consumer's input.
type Edge struct {
	From         int
	Partitioning Partitioning
	// KeyGroup is, for Hash edges, the runtime's typed function from a record
	// to its key group; opaque here.
	KeyGroup any
	// Tag, when set, makes the edge read the producer's side output of that
	// name instead of its main output.
	Tag string
}

// Graph is a job's logical graph. Nodes appear in the order the program
// declared them, which is a topological order.
type Graph struct {
	Nodes []*Node
}

// Add appends a node, giving it its ID, and returns it.
func (g *Graph) Add(n *Node) *Node {
	n.ID = len(g.Nodes)
	g.Nodes = append(g.Nodes, n)
	return n
}

// Consumers returns the nodes fed by node id, in declaration order, with the
// index of the input edge through which each is fed.
func (g *Graph) Consumers(id int) []Consumer {
	var out []Consumer
	for _, n := range g.Nodes {
		for i, e := range n.Inputs {
			if e.From == id {
				out = append(out, Consumer{Node: n.ID, Input: i})
			}
		}
	}
	return out
}

// Consumer names one input of one node.
type Consumer struct{ Node, Input int }

// ErrInvalid marks a graph the planner refuses; the message says which
// operator and why.
var ErrInvalid = errors.New("invalid job graph")

// Resolve fills unset parallelism with def, checks every node against
// maxParallelism, derives missing UIDs and checks the graph's shape.
func (g *Graph) Resolve(def, maxParallelism int) error {
	uids := map[string]string{}
	var errs []error
	// A default out of range is said once, not once per operator that
	// takes it.
	badDefault := false
	for _, n := range g.Nodes {
		if n.Parallelism != 0 || badDefault {
			continue
		}
		if def < 1 {
			errs = append(errs, fmt.Errorf("%w: parallelism.default %d: it must be at least 1", ErrInvalid, def))
			badDefault = true
		} else if def > maxParallelism {
			errs = append(errs, fmt.Errorf("%w: parallelism %d (parallelism.default) is above pipeline.max-parallelism %d; lower it or raise pipeline.max-parallelism", ErrInvalid, def, maxParallelism))
			badDefault = true
		}
	}
	for _, n := range g.Nodes {
		inherited := n.Parallelism == 0
		if inherited {
			n.Parallelism = def
		}
		if n.Parallelism < 1 && !(inherited && badDefault) {
			errs = append(errs, fmt.Errorf("%w: operator %q has parallelism %d; it must be at least 1", ErrInvalid, n.Name, n.Parallelism))
		}
		if n.Parallelism > maxParallelism && !(inherited && badDefault) {
			errs = append(errs, fmt.Errorf("%w: operator %q has parallelism %d above pipeline.max-parallelism %d", ErrInvalid, n.Name, n.Parallelism, maxParallelism))
		}
		if n.UID == "" {
			n.UID = derivedUID(n)
		}
		if other, dup := uids[n.UID]; dup {
			errs = append(errs, fmt.Errorf("%w: operators %q and %q share the UID %q; UIDs must be unique", ErrInvalid, other, n.Name, n.UID))
		}
		uids[n.UID] = n.Name
		if n.Kind == KindSource && len(n.Inputs) > 0 {
			errs = append(errs, fmt.Errorf("%w: source %q has inputs", ErrInvalid, n.Name))
		}
		if n.Kind != KindSource && len(n.Inputs) == 0 {
			errs = append(errs, fmt.Errorf("%w: operator %q has no input", ErrInvalid, n.Name))
		}
		for i := range n.Inputs {
			e := &n.Inputs[i]
			if e.From >= n.ID {
				errs = append(errs, fmt.Errorf("%w: operator %q reads from a later operator", ErrInvalid, n.Name))
				continue
			}
			up := g.Nodes[e.From]
			if e.Partitioning == Forward && up.Parallelism != n.Parallelism {
				// Flink refuses an explicit forward between different
				// parallelisms; the API only asks for Forward as a default,
				// so fall back to rebalancing as Flink's default does.
				e.Partitioning = Rebalance
			}
			if e.Partitioning == Hash && e.KeyGroup == nil {
				errs = append(errs, fmt.Errorf("%w: hash edge into %q has no key selector", ErrInvalid, n.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// derivedUID names a node by its position and name. It is stable as long as
// the program declares the same operators in the same order; operators whose
// state must survive changes of the program should set their UID.
func derivedUID(n *Node) string {
	var b strings.Builder
	for _, r := range strings.ToLower(n.Name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return fmt.Sprintf("%s-%d", strings.TrimSuffix(b.String(), "-"), n.ID)
}

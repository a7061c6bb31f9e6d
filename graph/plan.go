package graph

import "strings"

// Vertex is a chain of operators that runs as one task per subtask.
type Vertex struct {
	ID          int
	Name        string // "Source: Lines -> FlatMap"
	Parallelism int
	Head        int   // node ID of the chain's head
	Nodes       []int // node IDs in the chain, head first, topological
	// Inputs are the network edges into the head, in the head's input order.
	Inputs []VertexInput
}

// VertexInput is one network edge into a vertex.
type VertexInput struct {
	FromVertex int
	FromNode   int // the producing node (the tail of an edge out of a chain)
	Input      int // index of the head's input edge
	Edge       Edge
}

// Plan is the physical graph: vertices in topological order.
type Plan struct {
	Vertices []*Vertex
	// VertexOf maps a node ID to its vertex ID.
	VertexOf []int
}

// Chainable reports whether node n runs in its single input's chain.
func (g *Graph) Chainable(n *Node) bool {
	if len(n.Inputs) != 1 || n.NoChain || n.Kind == KindSource {
		return false
	}
	e := n.Inputs[0]
	up := g.Nodes[e.From]
	return e.Partitioning == Forward && !up.NoChain && up.Parallelism == n.Parallelism
}

// Build chains a resolved graph into vertices.
func (g *Graph) Build() *Plan {
	p := &Plan{VertexOf: make([]int, len(g.Nodes))}
	for _, n := range g.Nodes {
		if g.Chainable(n) {
			v := p.Vertices[p.VertexOf[n.Inputs[0].From]]
			v.Nodes = append(v.Nodes, n.ID)
			p.VertexOf[n.ID] = v.ID
			continue
		}
		v := &Vertex{ID: len(p.Vertices), Parallelism: n.Parallelism, Head: n.ID, Nodes: []int{n.ID}}
		for i, e := range n.Inputs {
			v.Inputs = append(v.Inputs, VertexInput{FromVertex: p.VertexOf[e.From], FromNode: e.From, Input: i, Edge: e})
		}
		p.VertexOf[n.ID] = v.ID
		p.Vertices = append(p.Vertices, v)
	}
	for _, v := range p.Vertices {
		names := make([]string, len(v.Nodes))
		for i, id := range v.Nodes {
			names[i] = g.Nodes[id].Name
			if i == 0 && g.Nodes[id].Kind == KindSource {
				names[i] = "Source: " + names[i]
			}
		}
		v.Name = strings.Join(names, " -> ")
	}
	return p
}

// Outputs lists the consumers of node id that are in its chain (called
// directly) and those that are not (reached over the network).
func (p *Plan) Outputs(g *Graph, id int) (chained, network []Consumer) {
	for _, c := range g.Consumers(id) {
		if p.VertexOf[c.Node] == p.VertexOf[id] && g.Chainable(g.Nodes[c.Node]) {
			chained = append(chained, c)
		} else {
			network = append(network, c)
		}
	}
	return chained, network
}

package nexmark

import (
	"fmt"
	"strings"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/discard"
)

// Query is one of the queries, by name, for programs that pick one at run
// time (weir bench nexmark).
type Query struct {
	// Name is q0, q1, ...
	Name string
	// Title is the benchmark's name for it ("Pass Through", ...).
	Title string
	// Columns are the result's columns, in the SQL definition's order.
	Columns []string
	// Updating is true when rows are updates of earlier rows (q4, q6):
	// the last row of a key is its current value.
	Updating bool

	lines   func(in Input) weir.DataStream[string]
	discard func(in Input)
}

// Lines declares the query over in and returns its rows as CSV lines.
func (q Query) Lines(in Input) weir.DataStream[string] { return q.lines(in) }

// Discard declares the query over in with its rows going to the discard
// sink as they are, unformatted, as the Flink suite's blackhole sink
// (UID "sink").
func (q Query) Discard(in Input) { q.discard(in) }

func query[R Row](name, title string, columns string, updating bool, f func(Input) weir.DataStream[R]) Query {
	return Query{
		Name:     name,
		Title:    title,
		Columns:  strings.Split(columns, ","),
		Updating: updating,
		lines: func(in Input) weir.DataStream[string] {
			return weir.Map(f(in), func(r R) (string, error) {
				return string(r.AppendCSV(nil)), nil
			}).Name("CSV").UID(name + "-csv")
		},
		discard: func(in Input) {
			f(in).SinkTo(discard.New[R](), "Discard").UID("sink")
		},
	}
}

// Queries are the queries this package implements, in order.
var Queries = []Query{
	query("q0", "Pass Through", "auction,bidder,price,dateTime,extra", false, Q0),
	query("q1", "Currency Conversion", "auction,bidder,price,dateTime,extra", false, Q1),
	query("q2", "Selection", "auction,price", false, Q2),
	query("q3", "Local Item Suggestion", "name,city,state,id", false, Q3),
	query("q4", "Average Price for a Category", "id,final", true, Q4),
	query("q5", "Hot Items", "auction,num", false, Q5),
	query("q6", "Average Selling Price by Seller", "seller,avg_price", true, Q6),
	query("q7", "Highest Bid", "auction,price,bidder,dateTime,extra", false, Q7),
	query("q8", "Monitor New Users", "id,name,stime", false, Q8),
}

// Lookup finds a query by name (q0, Q5, ...).
func Lookup(name string) (Query, error) {
	for _, q := range Queries {
		if strings.EqualFold(q.Name, name) {
			return q, nil
		}
	}
	names := make([]string, len(Queries))
	for i, q := range Queries {
		names[i] = q.Name
	}
	return Query{}, fmt.Errorf("unknown query %q (known: %s)", name, strings.Join(names, ", "))
}

package cluster

import (
	"errors"
	"strings"
)

// CauseChain is err's chain of causes as its errors print it, in the order
// Flink prints a Java exception and its "Caused by:" lines: the outermost
// error first, the root cause last. Each entry holds the words its error
// adds: where an error's text ends with ": " and the text of an error it
// wraps, that part is cut off and the chain goes on from that error,
// skipping the errors in between, whose words are in their wrapper's (such
// as the operator wrapper inside a task's failure). A wrapper whose text
// is its cause's text adds no entry; one whose text shows none of its
// causes' adds its whole text, and the chain goes on with its cause. An
// error that wraps several (errors.Join) ends the chain with its whole
// text. Nil for a nil err.
func CauseChain(err error) []string {
	var levels []error
	for e := err; e != nil; e = errors.Unwrap(e) {
		levels = append(levels, e)
	}
	var chain []string
	for i := 0; i < len(levels); {
		msg := levels[i].Error()
		next := -1
		for j := i + 1; j < len(levels); j++ {
			inner := levels[j].Error()
			if inner == msg || strings.HasSuffix(msg, ": "+inner) {
				next = j
				break
			}
		}
		if next < 0 {
			// msg prints none of the errors it wraps: they are causes of
			// their own.
			chain = append(chain, msg)
			i++
			continue
		}
		if own := strings.TrimSuffix(msg, ": "+levels[next].Error()); own != msg {
			chain = append(chain, own)
		}
		i = next
	}
	return chain
}

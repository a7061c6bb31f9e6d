package config

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the registered key (canonical or alias, resolved to its
// canonical key) that the unknown key most likely meant, or "".
//
// First choice is the closest key by edit distance (case-insensitive),
// accepted when the distance is at most a third of the typed key's length
// (and at most 4), so typos and transpositions are caught but unrelated keys
// are not offered. Failing that, a key of which the typed text is a whole
// dot-separated tail ("checkpointing.interval" for
// "execution.checkpointing.interval") is offered if exactly one matches.
func suggest(typed string, keys []string) string {
	if typed == "" {
		return ""
	}
	lt := strings.ToLower(typed)
	limit := utf8.RuneCountInString(typed) / 3
	if limit > 4 {
		limit = 4
	}
	best, bestDist := "", limit+1
	for _, k := range keys {
		if d := editDistance(lt, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		var tails []string
		for _, k := range keys {
			if strings.HasSuffix(strings.ToLower(k), "."+lt) {
				tails = append(tails, canonicalOf(k))
			}
		}
		if len(tails) > 0 && allSame(tails) {
			return tails[0]
		}
		return ""
	}
	return canonicalOf(best)
}

func canonicalOf(key string) string {
	if m, ok := lookupMeta(key); ok {
		return m.key
	}
	return key
}

func allSame(s []string) bool {
	for _, v := range s[1:] {
		if v != s[0] {
			return false
		}
	}
	return true
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and adjacent transpositions each cost one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: two back (for transpositions), previous, current.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

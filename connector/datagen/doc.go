// Package datagen is a deterministic, parallel source of generated records,
// for tests and benchmarks.
//
// # Records
//
// New(count, seed, gen) produces the records gen(n, Mix(seed, n)) for the
// indices n = 0 .. count-1 (forever when count < 0). Mix is the splitmix64
// output function applied to seed + (n+1)·γ, i.e. the n-th output of a
// splitmix64 generator seeded with seed, so record n is the same whatever
// the parallelism, the batch sizes or the restarts: the multiset of records
// of a bounded source depends on (count, seed, gen) only.
//
// Lines(count, seed, wordsPerLine, vocabulary) is such a source of text
// lines, each made of wordsPerLine words drawn uniformly from the first
// vocabulary words of a fixed list of pronounceable words (Words), for
// word-count benchmarks.
//
// # Parallelism
//
// On a fresh start subtask i of p produces the indices i, i+p, i+2p, ...
// (a split with start i and stride p).
//
// # Position and delivery guarantees
//
// A reader's position has one entry per split it owns:
//
//	byte     version (1)
//	uvarint  next index of the split
//	uvarint  stride of the split
//
// A restored reader continues exactly its entries' splits, producing their
// indices merged in increasing order; after a change of parallelism a
// subtask may own several splits or none (then it ends at once, or, for an
// unbounded source, never produces anything). Since generation is a pure
// function of the index, replay after a restore is exact: exactly-once.
// A non-nil empty SourceContext.Restored means "no splits".
//
// # Splits and watermarks
//
// The reader implements connector.SplitFetcher, for per-split watermarks
// (weir.FromSourceWithWatermarks): the split of indices i, i+p, i+2p, ...
// is named "i/p", and a split of a bounded source finishes when it reaches
// the count.
package datagen

// Package nexmark generates the events of the Nexmark benchmark, an online
// auction site: persons join, put items up for auction and bid on them.
// It owns the event model (Person, Auction, Bid, Event), the generator's
// configuration (Config, with the Flink suite's option names), the pure
// generator (Generator, Config.Splits, Config.Generate) and the parallel,
// checkpointed source built on it (Source).
//
// # Sources
//
// The generator follows the Nexmark generators of Apache Beam
// (sdks/java/testing/nexmark/.../sources/generator: GeneratorConfig,
// Generator, model/PersonGenerator, AuctionGenerator, BidGenerator,
// PriceGenerator, StringsGenerator) and of the nexmark/nexmark suite that
// publishes Flink's figures (nexmark-flink/.../generator, whose Bid has
// the channel and url fields). It was written from a reading of those
// sources, not translated; what follows restates their rules.
//
//   - Event id n is a person, an auction or a bid by n mod (1+3+46): the
//     first person.proportion ids of each 50 are persons, the next
//     auction.proportion auctions, the rest bids.
//   - Ids: person and auction ids count their kind (from 1000); a
//     category is 10 + one of 5.
//   - An auction's seller is, with probability 1-1/auction.hot-ratio.sellers,
//     the hot seller (the first of the current batch of 100 persons),
//     otherwise one of the person.num-active latest persons or one of the
//     next 10. A bid's auction is likewise the hot auction (the first of
//     the current 100) with probability 1-1/bid.hot-ratio.auctions,
//     otherwise one of the auction.num-in-flight latest or the next 10;
//     its bidder is the hot bidder (the second of the current 100 persons)
//     with probability 1-1/bid.hot-ratio.bidders. References may thus
//     name a person or an auction that comes a little later.
//   - Prices are log-uniform between 1 and 10^6 dollars, in cents.
//     An auction lasts a random time averaging the time it takes to
//     create auction.num-in-flight more auctions.
//   - Strings are random letters (names, descriptions), picked from fixed
//     lists (first and last names, six states, ten cities, four hot
//     channels and 10 000 others with their URLs), and an extra field
//     that brings each record to its average size (±20%).
//   - Timestamps: event number k of a generator is at base-time +
//     k × (p × 10^6 / first-event.rate) µs, where p is the number of
//     generators: each generator runs its own timeline at 1/p of the
//     overall rate. With next-event.rate different, the rate alternates
//     every rate.period/2 (Beam's square shape). out-of-order.group-size
//     scrambles event numbers in groups, as Beam does.
//
// Where the two generators differ, this one takes Beam's deterministic
// choices: a fixed base time (Beam's 2015-07-15, not the wall clock), a
// random stream per event seeded with the event id (and Config.Seed),
// and a bidder id offset by 1000 once (the Flink suite adds it twice).
// The random numbers themselves are splitmix64's, not Java's, so the
// events have the same distributions as Beam's but not the same values.
// Beam's occasional delay of events (held back in wall-clock time when
// rate limited, at random) is not reproduced.
//
// # Determinism
//
// An event is a pure function of (Config, event id, split): the events of
// a bounded configuration at a parallelism are always the same, whatever
// the batch sizes, the timing or the restores. Config.Generate(p) yields
// them, split by split, for checking results and dumping.
//
// # Parallelism, position and delivery guarantees
//
// Source subtask i of p generates split i of Config.Splits(p): a
// contiguous range of event ids on its own timeline, as Beam's and the
// Flink suite's GeneratorConfig.split (so the events, and the queries'
// results, depend on p; each split alone is in timestamp order). Its
// position is one entry per split:
//
//	byte     version (1)
//	uvarint  first event id
//	uvarint  events in the split
//	uvarint  generators the events were split among (p)
//	uvarint  events generated so far
//
// A restored reader continues exactly its entries' splits, emitting
// always the earliest next event among them, so after a change of
// parallelism a subtask may own several splits, or none (it then ends at
// once). Generation being a pure function, replay after a restore is
// exact: with the runtime's checkpoints, exactly once. The configuration
// is the program's, not the checkpoint's: restore with the same one.
//
// # Event time
//
// An event's time is its dateTime (Event.DateTime). The Flink suite's
// watermark is dateTime − 4 s (bounded out-of-orderness of 4 s); the
// queries in examples/nexmark use the same.
package nexmark

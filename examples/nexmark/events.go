package nexmark

import (
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/nexmark"
)

// OutOfOrderness is how far behind the latest dateTime the watermark
// trails: the Flink suite's WATERMARK FOR dateTime AS dateTime - INTERVAL
// '4' SECOND.
const OutOfOrderness = 4 * time.Second

// Input is what a query reads: the events with their event time and
// watermarks, and the generator configuration and parallelism they come
// from (a query's state cleanup may depend on the rate).
type Input struct {
	Events weir.DataStream[nexmark.Event]
	Config nexmark.Config
	// Parallelism is the source's, so the number of generators.
	Parallelism int
}

// Events declares the Nexmark source of cfg in env (UID "source") and
// gives its events their dateTime as event time, with watermarks 4 s
// behind (UID "timestamps"). The source runs at the environment's default
// parallelism, at full speed, or throttled to rate events per second in
// all when rate > 0 (connector.RateLimit; the generator's own
// rate.limited option paces events by their timestamps instead). It also
// returns the source, whose Emitted count tells progress.
func Events(env *weir.Environment, cfg nexmark.Config, rate float64) (Input, *nexmark.Source, error) {
	src, err := nexmark.NewSource(cfg)
	if err != nil {
		return Input{}, nil, err
	}
	var s weir.Source[nexmark.Event] = src
	if rate > 0 {
		s = connector.RateLimit(s, rate)
	}
	raw := weir.FromSource(env, s, "Nexmark").UID("source")
	events := weir.AssignTimestampsAndWatermarks(raw, weir.ForBoundedOutOfOrderness(OutOfOrderness, func(e nexmark.Event) int64 {
		return e.DateTime()
	})).Name("Timestamps").UID("timestamps")
	p := config.Get(env.Config(), config.DefaultParallelism)
	return Input{Events: events, Config: cfg, Parallelism: max(p, 1)}, src, nil
}

// Bids is the bid stream: the events of type bid (Flink suite's view
// bid).
func Bids(in Input) weir.DataStream[nexmark.Bid] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[nexmark.Bid]) error {
		if e.Type == nexmark.BidEvent {
			out.Collect(e.Bid)
		}
		return nil
	}).Name("Bids")
}

// Auctions is the auction stream.
func Auctions(in Input) weir.DataStream[nexmark.Auction] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[nexmark.Auction]) error {
		if e.Type == nexmark.AuctionEvent {
			out.Collect(e.Auction)
		}
		return nil
	}).Name("Auctions")
}

// Persons is the person stream.
func Persons(in Input) weir.DataStream[nexmark.Person] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[nexmark.Person]) error {
		if e.Type == nexmark.PersonEvent {
			out.Collect(e.Person)
		}
		return nil
	}).Name("Persons")
}

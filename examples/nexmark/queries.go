package nexmark

import (
	"cmp"
	"slices"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/nexmark"
)

// Q0 passes every bid through (pass-through: what the source and the
// framework cost).
//
//	SELECT auction, bidder, price, dateTime, extra FROM bid
func Q0(in Input) weir.DataStream[Q0Row] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[Q0Row]) error {
		if e.Type == nexmark.BidEvent {
			b := &e.Bid
			out.Collect(Q0Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Extra: b.Extra})
		}
		return nil
	}).Name("Q0")
}

// Q1 converts each bid's price from dollars to euros.
//
//	SELECT auction, bidder, 0.908 * price as price, dateTime, extra FROM bid
func Q1(in Input) weir.DataStream[Q1Row] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[Q1Row]) error {
		if e.Type == nexmark.BidEvent {
			b := &e.Bid
			out.Collect(Q1Row{Auction: b.Auction, Bidder: b.Bidder, PriceMilli: 908 * b.Price, DateTime: b.DateTime, Extra: b.Extra})
		}
		return nil
	}).Name("Q1")
}

// Q2 selects the bids on every 123rd auction.
//
//	SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
func Q2(in Input) weir.DataStream[Q2Row] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[Q2Row]) error {
		if e.Type == nexmark.BidEvent && e.Bid.Auction%123 == 0 {
			out.Collect(Q2Row{Auction: e.Bid.Auction, Price: e.Bid.Price})
		}
		return nil
	}).Name("Q2")
}

// --- Q3 ------------------------------------------------------------------

// Q3 is local item suggestion: who sells in category 10 from Oregon, Idaho
// or California, and which auctions.
//
//	SELECT P.name, P.city, P.state, A.id
//	FROM auction AS A INNER JOIN person AS P on A.seller = P.id
//	WHERE A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
//
// An unbounded inner join, as a co-process function keyed by person id:
// a matching person is kept (forever, as SQL's join keeps its inputs), an
// auction that comes before its seller waits for it. A person of another
// state is remembered only for a while (long enough for its own generator
// to stop naming it, see nexmark.Config.PersonSpan), so that its auctions
// are dropped at once rather than waiting for a match that cannot come.
func Q3(in Input) weir.DataStream[Q3Row] {
	auctions := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[q3Auction]) error {
		if e.Type == nexmark.AuctionEvent && e.Auction.Category == 10 {
			out.Collect(q3Auction{ID: e.Auction.ID, Seller: e.Auction.Seller})
		}
		return nil
	}).Name("Q3 auctions")
	persons := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[q3Person]) error {
		if e.Type == nexmark.PersonEvent {
			p := &e.Person
			if q3State(p.State) {
				out.Collect(q3Person{ID: p.ID, Name: p.Name, City: p.City, State: p.State, DateTime: p.DateTime, Match: true})
			} else {
				out.Collect(q3Person{ID: p.ID, DateTime: p.DateTime})
			}
		}
		return nil
	}).Name("Q3 persons")
	ttl := (2 * in.Config.PersonSpan(in.Parallelism)).Milliseconds()
	return weir.CoProcess(
		weir.KeyBy(auctions, func(a q3Auction) int64 { return a.Seller }),
		weir.KeyBy(persons, func(p q3Person) int64 { return p.ID }),
		func() weir.KeyedCoProcessFunction[int64, q3Auction, q3Person, Q3Row] { return &q3Join{ttl: ttl} },
	).Name("Q3 join").UID("q3-join")
}

func q3State(s string) bool { return s == "OR" || s == "ID" || s == "CA" }

type q3Auction struct{ ID, Seller int64 }

// q3Person is a person as Q3 needs it; Match is false for a person of
// another state (then only ID and DateTime are set).
type q3Person struct {
	ID                int64
	Name, City, State string
	DateTime          int64
	Match             bool
}

type q3Join struct {
	ttl     int64
	person  weir.ValueState[q3Person]
	waiting weir.ListState[int64] // auction ids that came before their seller
}

func (j *q3Join) Open(ctx *weir.OpenContext[int64]) (err error) {
	if j.person, err = weir.NewValueState[q3Person](ctx, "person"); err != nil {
		return err
	}
	j.waiting, err = weir.NewListState[int64](ctx, "waiting-auctions")
	return err
}

func (j *q3Join) ProcessElement1(_ *weir.Context[int64], a q3Auction, out weir.Collector[Q3Row]) error {
	p, ok, err := j.person.Value()
	switch {
	case err != nil:
		return err
	case !ok:
		return j.waiting.Add(a.ID)
	case p.Match:
		out.Collect(Q3Row{Name: p.Name, City: p.City, State: p.State, ID: a.ID})
	}
	return nil
}

func (j *q3Join) ProcessElement2(ctx *weir.Context[int64], p q3Person, out weir.Collector[Q3Row]) error {
	ids, err := j.waiting.Get()
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if p.Match {
			for _, id := range ids {
				out.Collect(Q3Row{Name: p.Name, City: p.City, State: p.State, ID: id})
			}
		}
		if err := j.waiting.Clear(); err != nil {
			return err
		}
	}
	if err := j.person.Update(p); err != nil {
		return err
	}
	if p.Match {
		return nil
	}
	return ctx.TimerService().RegisterEventTimeTimer(p.DateTime + j.ttl)
}

// OnTimer forgets a person of another state.
func (j *q3Join) OnTimer(*weir.Context[int64], int64, weir.Collector[Q3Row]) error {
	return j.person.Clear()
}

// --- Q4 ------------------------------------------------------------------

// Q4 is the average closing price per category: for each auction the
// highest bid made while it was open, averaged per category.
//
//	SELECT Q.category, AVG(Q.final)
//	FROM (SELECT MAX(B.price) AS final, A.category
//	      FROM auction A, bid B
//	      WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//	      GROUP BY A.id, A.category) Q
//	GROUP BY Q.category
//
// An updating query in two keyed steps. The first, keyed by auction, joins
// bids to their auction and keeps the auction's highest valid bid,
// sending every change of it on; the second, keyed by category, keeps the
// sum and count of the auctions' highest bids and writes a row whenever the
// category's average changes. State is dropped by event time when nothing
// can change it any more: an auction once the watermark passes its
// expiry, a bid that came before its auction once the watermark passes the
// bid (the auction, being no later, would have come).
func Q4(in Input) weir.DataStream[Q4Row] {
	changes := winningBids(in, func(a *nexmark.Auction) int64 { return a.Category }, false).
		Name("Q4 max per auction").UID("q4-max")
	return weir.Process(weir.KeyBy(changes, func(c maxChange) int64 { return c.Group }),
		func() weir.KeyedProcessFunction[int64, maxChange, Q4Row] { return &categoryAvg{} },
	).Name("Q4 average per category").UID("q4-avg")
}

// winningBids is the step Q4 and Q6 share: keyed by auction, it joins bids
// to their auction and keeps the auction's highest valid bid (made between
// the auction's dateTime and its expiry, both included). group picks what
// the next step groups the auctions by (Q4: the category, Q6: the seller).
// When atClose is false every change of an auction's maximum goes on at
// once (Q4); when it is true only the final maximum does, once, when the
// watermark passes the auction's expiry (Q6), and an auction without a
// valid bid sends nothing.
func winningBids(in Input, group func(*nexmark.Auction) int64, atClose bool) weir.DataStream[maxChange] {
	return weir.CoProcess(
		weir.KeyBy(auctionsOf(in, group), func(a q4Auction) int64 { return a.ID }),
		weir.KeyBy(bidsOf(in), func(b q4Bid) int64 { return b.Auction }),
		func() weir.KeyedCoProcessFunction[int64, q4Auction, q4Bid, maxChange] {
			return &auctionMax{atClose: atClose}
		},
	)
}

// q4Auction is an auction as winningBids needs it; Group is what the next
// step groups by.
type q4Auction struct{ ID, Group, DateTime, Expires int64 }

type q4Bid struct{ Auction, Price, DateTime int64 }

func auctionsOf(in Input, group func(*nexmark.Auction) int64) weir.DataStream[q4Auction] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[q4Auction]) error {
		if e.Type == nexmark.AuctionEvent {
			a := &e.Auction
			out.Collect(q4Auction{ID: a.ID, Group: group(a), DateTime: a.DateTime, Expires: a.Expires})
		}
		return nil
	}).Name("Auction times")
}

func bidsOf(in Input) weir.DataStream[q4Bid] {
	return weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[q4Bid]) error {
		if e.Type == nexmark.BidEvent {
			out.Collect(q4Bid{Auction: e.Bid.Auction, Price: e.Bid.Price, DateTime: e.Bid.DateTime})
		}
		return nil
	}).Name("Bid prices")
}

// maxChange says that an auction's highest valid bid went from Old to New
// (Old is meaningless when First). Group is the auction's group (see
// winningBids), Expires its expiry.
type maxChange struct {
	Group, Auction, Old, New, Expires int64
	First                             bool
}

// auctionState is an auction and its highest valid bid so far.
type auctionState struct {
	Auction q4Auction
	Max     int64
	HasMax  bool
}

type auctionMax struct {
	atClose bool // send the final maximum at the expiry, not every change
	auction weir.ValueState[auctionState]
	early   weir.ListState[q4Bid] // bids that came before their auction
}

func (f *auctionMax) Open(ctx *weir.OpenContext[int64]) (err error) {
	if f.auction, err = weir.NewValueState[auctionState](ctx, "auction"); err != nil {
		return err
	}
	f.early, err = weir.NewListState[q4Bid](ctx, "early-bids")
	return err
}

// raise records a valid bid's price; it reports a change of the maximum.
func (s *auctionState) raise(b q4Bid) (maxChange, bool) {
	if b.DateTime < s.Auction.DateTime || b.DateTime > s.Auction.Expires || (s.HasMax && b.Price <= s.Max) {
		return maxChange{}, false
	}
	c := maxChange{Group: s.Auction.Group, Auction: s.Auction.ID, Old: s.Max, New: b.Price, Expires: s.Auction.Expires, First: !s.HasMax}
	s.Max, s.HasMax = b.Price, true
	return c, true
}

func (f *auctionMax) ProcessElement1(ctx *weir.Context[int64], a q4Auction, out weir.Collector[maxChange]) error {
	s := auctionState{Auction: a}
	early, err := f.early.Get()
	if err != nil {
		return err
	}
	if len(early) > 0 {
		var last maxChange
		changed := false
		for _, b := range early {
			if c, ok := s.raise(b); ok {
				if !changed {
					last = c
				} else {
					last.New = c.New
				}
				changed = true
			}
		}
		if changed && !f.atClose {
			out.Collect(last)
		}
		if err := f.early.Clear(); err != nil {
			return err
		}
	}
	if err := f.auction.Update(s); err != nil {
		return err
	}
	return ctx.TimerService().RegisterEventTimeTimer(a.Expires)
}

func (f *auctionMax) ProcessElement2(ctx *weir.Context[int64], b q4Bid, out weir.Collector[maxChange]) error {
	s, ok, err := f.auction.Value()
	if err != nil {
		return err
	}
	if !ok {
		if err := f.early.Add(b); err != nil {
			return err
		}
		// One cleanup timer per key and second, not per bid: timers
		// cost more than keeping an early bid a little longer.
		return ctx.TimerService().RegisterEventTimeTimer((b.DateTime/1000 + 1) * 1000)
	}
	if c, changed := s.raise(b); changed {
		if !f.atClose {
			out.Collect(c)
		}
		return f.auction.Update(s)
	}
	return nil
}

// OnTimer drops a closed auction (sending its final maximum on first
// when atClose), and early bids whose auction can no longer come. Once
// the watermark has passed the expiry, every bid made up to it is in.
func (f *auctionMax) OnTimer(_ *weir.Context[int64], ts int64, out weir.Collector[maxChange]) error {
	s, ok, err := f.auction.Value()
	if err != nil {
		return err
	}
	if ok && ts >= s.Auction.Expires {
		if f.atClose && s.HasMax {
			a := &s.Auction
			out.Collect(maxChange{Group: a.Group, Auction: a.ID, New: s.Max, Expires: a.Expires, First: true})
		}
		if err := f.auction.Clear(); err != nil {
			return err
		}
	}
	early, err := f.early.Get()
	if err != nil || len(early) == 0 {
		return err
	}
	// State values must not be modified in place (a snapshot may share
	// them): filter into a new list.
	var keep []q4Bid
	for _, b := range early {
		if b.DateTime > ts {
			keep = append(keep, b)
		}
	}
	if len(keep) == 0 {
		return f.early.Clear()
	}
	return f.early.Update(keep)
}

// categoryState is a category's sum and count of highest bids, and the
// average last written.
type categoryState struct {
	Sum, Count, Avg int64
}

type categoryAvg struct {
	cat weir.ValueState[categoryState]
}

func (f *categoryAvg) Open(ctx *weir.OpenContext[int64]) (err error) {
	f.cat, err = weir.NewValueState[categoryState](ctx, "category")
	return err
}

func (f *categoryAvg) ProcessElement(_ *weir.Context[int64], c maxChange, out weir.Collector[Q4Row]) error {
	s, _, err := f.cat.Value()
	if err != nil {
		return err
	}
	if c.First {
		s.Count++
		s.Sum += c.New
	} else {
		s.Sum += c.New - c.Old
	}
	avg := s.Sum / s.Count
	if c.First && s.Count == 1 || avg != s.Avg {
		out.Collect(Q4Row{ID: c.Group, Final: avg})
	}
	s.Avg = avg
	return f.cat.Update(s)
}

// --- Q5 ------------------------------------------------------------------

// Q5 is hot items: the auctions with the most bids in each sliding window
// of 10 s every 2 s.
//
//	SELECT AuctionBids.auction, AuctionBids.num
//	FROM (SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
//	      FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
//	      GROUP BY auction, window_start, window_end) AS AuctionBids
//	JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
//	      FROM (... the same counts ...) AS CountBids
//	      GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids
//	ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
//	   AND AuctionBids.num >= MaxBids.maxn
//
// A sliding-window count per auction, then, keyed by window, the auctions
// whose count is the window's maximum (all of them on a tie), written when
// the watermark closes the window.
func Q5(in Input) weir.DataStream[Q5Row] {
	bids := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[int64]) error {
		if e.Type == nexmark.BidEvent {
			out.Collect(e.Bid.Auction)
		}
		return nil
	}).Name("Bid auctions")
	windows := weir.Window(weir.KeyBy(bids, func(a int64) int64 { return a }), weir.SlidingEventTimeWindows(10*time.Second, 2*time.Second))
	counts := weir.AggregateProcessWindow(windows, countBids{}, func(ctx weir.WindowContext[int64], n []int64, out weir.Collector[auctionCount]) error {
		out.Collect(auctionCount{End: ctx.Window.End, Auction: ctx.Key, Num: n[0]})
		return nil
	}).Name("Q5 bids per auction").UID("q5-count")
	return weir.Process(weir.KeyBy(counts, func(c auctionCount) int64 { return c.End }),
		func() weir.KeyedProcessFunction[int64, auctionCount, Q5Row] { return &hottest{} },
	).Name("Q5 hottest").UID("q5-max")
}

type countBids struct{}

func (countBids) CreateAccumulator() int64              { return 0 }
func (countBids) Add(_ int64, acc int64) (int64, error) { return acc + 1, nil }
func (countBids) Result(acc int64) (int64, error)       { return acc, nil }
func (countBids) Merge(a, b int64) (int64, error)       { return a + b, nil }

// auctionCount is an auction's bid count in the window ending at End.
type auctionCount struct{ End, Auction, Num int64 }

// leaders are a window's highest count so far and the auctions that have it.
type leaders struct {
	Num      int64
	Auctions []int64
}

type hottest struct {
	best weir.ValueState[leaders]
}

func (f *hottest) Open(ctx *weir.OpenContext[int64]) (err error) {
	f.best, err = weir.NewValueState[leaders](ctx, "leaders")
	return err
}

func (f *hottest) ProcessElement(ctx *weir.Context[int64], c auctionCount, _ weir.Collector[Q5Row]) error {
	l, ok, err := f.best.Value()
	switch {
	case err != nil:
		return err
	case !ok:
		// The counts of a window come when the watermark reaches its last
		// millisecond; they are all in once the watermark is there here.
		if err := ctx.TimerService().RegisterEventTimeTimer(c.End - 1); err != nil {
			return err
		}
		l = leaders{Num: c.Num, Auctions: []int64{c.Auction}}
	case c.Num > l.Num:
		l = leaders{Num: c.Num, Auctions: []int64{c.Auction}}
	case c.Num == l.Num:
		// Clip: append into a new array, never into the stored one.
		l.Auctions = append(slices.Clip(l.Auctions), c.Auction)
	default:
		return nil
	}
	return f.best.Update(l)
}

func (f *hottest) OnTimer(_ *weir.Context[int64], _ int64, out weir.Collector[Q5Row]) error {
	l, ok, err := f.best.Value()
	if err != nil || !ok {
		return err
	}
	slices.Sort(l.Auctions)
	for _, a := range l.Auctions {
		out.Collect(Q5Row{Auction: a, Num: l.Num})
	}
	return f.best.Clear()
}

// --- Q6 ------------------------------------------------------------------

// q6Window is how many of a seller's latest closed auctions Q6 averages.
const q6Window = 10

// Q6 is the average selling price per seller over their last 10 closed
// auctions.
//
//	SELECT Q.seller,
//	       AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.dateTime
//	                          ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
//	FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
//	      FROM (SELECT A.id, A.seller, B.price, B.dateTime
//	            FROM auction AS A, bid AS B
//	            WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
//	      WHERE rownum <= 1) AS Q
//
// An auction closes when the watermark passes its expiry; its selling
// price is its highest valid bid, and an auction without a valid bid
// sells nothing and is left out (the inner join). Each seller's closed
// auctions are taken in the order of their expiry, auctions of the same
// seller expiring in the same millisecond by ascending id, and each one
// writes a row: the seller and the average of the prices of the seller's
// latest closed auctions up to 10, this one included, truncated to a whole
// number as SQL's AVG of BIGINT. The last row of a seller is its current
// value.
//
// Departures from the SQL, which no engine runs as written (Flink cannot:
// FLINK-19059, an OVER window over an updating input):
//
//   - the frame is the last 10 auctions, as the query's title and Beam's
//     Query6 have it; the SQL's ROWS BETWEEN 10 PRECEDING AND CURRENT ROW
//     would span 11;
//   - auctions are ordered by their expiry, not by the winning bid's
//     dateTime: a winning bid is known only once its auction has closed,
//     and a later-closing auction may have won earlier, so an order by bid
//     time could never be final; by expiry each row is final when written;
//   - an auction counts once, with its final price, when it closes: the
//     SQL's ROW_NUMBER over a join would also pass on each intermediate
//     maximum and retract it.
//
// Two keyed steps: winningBids (Q4's first step) sends each auction's final
// price when it closes; keyed by seller, the closed auctions wait until
// the watermark passes their expiry (they come from several subtasks, in
// any order), then go in the order above into the seller's last 10 prices.
func Q6(in Input) weir.DataStream[Q6Row] {
	closed := winningBids(in, func(a *nexmark.Auction) int64 { return a.Seller }, true).
		Name("Q6 winning bid per auction").UID("q6-max")
	return weir.Process(weir.KeyBy(closed, func(c maxChange) int64 { return c.Group }),
		func() weir.KeyedProcessFunction[int64, maxChange, Q6Row] { return &sellerAvg{} },
	).Name("Q6 average per seller").UID("q6-avg")
}

// sellerPrices are the final prices of a seller's latest closed auctions,
// oldest first, at most q6Window.
type sellerPrices struct{ Prices []int64 }

type sellerAvg struct {
	recent  weir.ValueState[sellerPrices]
	pending weir.ListState[maxChange] // closed auctions waiting for the watermark
}

func (f *sellerAvg) Open(ctx *weir.OpenContext[int64]) (err error) {
	if f.recent, err = weir.NewValueState[sellerPrices](ctx, "recent-prices"); err != nil {
		return err
	}
	f.pending, err = weir.NewListState[maxChange](ctx, "pending-auctions")
	return err
}

func (f *sellerAvg) ProcessElement(ctx *weir.Context[int64], c maxChange, _ weir.Collector[Q6Row]) error {
	if err := f.pending.Add(c); err != nil {
		return err
	}
	return ctx.TimerService().RegisterEventTimeTimer(c.Expires)
}

// OnTimer takes in, in order, the pending auctions that expired by ts:
// every auction of the seller that closed by then has come, since each
// upstream subtask sends a closed auction before the watermark that
// passes its expiry.
func (f *sellerAvg) OnTimer(_ *weir.Context[int64], ts int64, out weir.Collector[Q6Row]) error {
	all, err := f.pending.Get()
	if err != nil {
		return err
	}
	var due, keep []maxChange
	for _, c := range all {
		if c.Expires <= ts {
			due = append(due, c)
		} else {
			keep = append(keep, c)
		}
	}
	if len(due) == 0 {
		return nil
	}
	slices.SortFunc(due, func(a, b maxChange) int {
		return cmp.Or(cmp.Compare(a.Expires, b.Expires), cmp.Compare(a.Auction, b.Auction))
	})
	r, _, err := f.recent.Value()
	if err != nil {
		return err
	}
	// Never write into the stored array: work on a copy.
	prices := slices.Clone(r.Prices)
	for _, c := range due {
		prices = append(prices, c.New)
		if len(prices) > q6Window {
			prices = prices[len(prices)-q6Window:]
		}
		var sum int64
		for _, p := range prices {
			sum += p
		}
		out.Collect(Q6Row{Seller: c.Group, AvgPrice: sum / int64(len(prices))})
	}
	if err := f.recent.Update(sellerPrices{Prices: slices.Clone(prices)}); err != nil {
		return err
	}
	if len(keep) == 0 {
		return f.pending.Clear()
	}
	return f.pending.Update(keep)
}

// --- Q7 ------------------------------------------------------------------

// q7Buckets spreads each window's bids over this many keys for the first
// step of Q7, so that finding a window's highest bid runs in parallel.
const q7Buckets = 16

// Q7 is the highest bid: the bids with the highest price of each tumbling
// window of 10 s.
//
//	SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
//	FROM bid B
//	JOIN (SELECT MAX(price) AS maxprice, window_end as dateTime
//	      FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//	      GROUP BY window_start, window_end) B1
//	ON B.price = B1.maxprice
//	WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime
//
// BETWEEN includes both ends: a bid at exactly the window's end (the first
// millisecond of the next window) is written too if its price equals the
// window's maximum, although it does not count towards it. Two keyed
// steps: bids keyed by (window, bucket) keep their bucket's maximum and
// the bids that may still equal the window's; at the window's end each
// bucket hands them to the step keyed by window, which writes the bids at
// the window's maximum.
func Q7(in Input) weir.DataStream[Q7Row] {
	const size = int64(10 * time.Second / time.Millisecond)
	tagged := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[windowBid]) error {
		if e.Type != nexmark.BidEvent {
			return nil
		}
		// Only the columns the query writes cross the network.
		b := q7Bid{Auction: e.Bid.Auction, Price: e.Bid.Price, Bidder: e.Bid.Bidder, DateTime: e.Bid.DateTime, Extra: e.Bid.Extra}
		end := (b.DateTime/size + 1) * size // floor: dateTime is never negative
		out.Collect(windowBid{End: end, Bid: b, Counts: true})
		if b.DateTime%size == 0 {
			out.Collect(windowBid{End: b.DateTime, Bid: b}) // the previous window's end
		}
		return nil
	}).Name("Q7 windows")
	partial := weir.Process(weir.KeyBy(tagged, func(w windowBid) int64 { return w.End*q7Buckets + w.Bid.Price%q7Buckets }),
		func() weir.KeyedProcessFunction[int64, windowBid, topBids] { return &bucketTop{} },
	).Name("Q7 highest per bucket").UID("q7-bucket")
	return weir.Process(weir.KeyBy(partial, func(t topBids) int64 { return t.End }),
		func() weir.KeyedProcessFunction[int64, topBids, Q7Row] { return &windowTop{} },
	).Name("Q7 highest per window").UID("q7-window")
}

// q7Bid is a bid's columns that Q7 writes.
type q7Bid struct {
	Auction, Price, Bidder, DateTime int64
	Extra                            string
}

// windowBid is a bid for the window ending at End; Counts is false for a
// bid at exactly End, which may match the maximum but is not part of it.
type windowBid struct {
	End    int64
	Bid    q7Bid
	Counts bool
}

// topBids is the highest price Max of the counted bids (if HasMax) and the
// bids at or above it.
type topBids struct {
	End    int64
	Max    int64
	HasMax bool
	Bids   []q7Bid
}

// add takes in a bid; counts says whether it is part of the maximum. It
// reports whether t changed. t's slice may be shared with stored state, so
// add never writes into its array: it filters into a new one, and appends
// to a clipped one.
func (t *topBids) add(b q7Bid, counts bool) bool {
	changed := false
	if counts && (!t.HasMax || b.Price > t.Max) {
		t.Max, t.HasMax = b.Price, true
		t.Bids = atLeast(t.Bids, b.Price)
		changed = true
	}
	if !t.HasMax || b.Price >= t.Max {
		t.Bids = append(slices.Clip(t.Bids), b)
		changed = true
	}
	return changed
}

// merge takes in another bucket's top bids.
func (t *topBids) merge(o topBids) {
	if o.HasMax && (!t.HasMax || o.Max > t.Max) {
		t.Max, t.HasMax = o.Max, true
		t.Bids = atLeast(t.Bids, o.Max)
	}
	for _, b := range o.Bids {
		if !t.HasMax || b.Price >= t.Max {
			t.Bids = append(slices.Clip(t.Bids), b)
		}
	}
}

// atLeast returns, in a new slice, the bids priced at least p.
func atLeast(bids []q7Bid, p int64) []q7Bid {
	var out []q7Bid
	for _, b := range bids {
		if b.Price >= p {
			out = append(out, b)
		}
	}
	return out
}

type bucketTop struct {
	top weir.ValueState[topBids]
}

func (f *bucketTop) Open(ctx *weir.OpenContext[int64]) (err error) {
	f.top, err = weir.NewValueState[topBids](ctx, "top")
	return err
}

func (f *bucketTop) ProcessElement(ctx *weir.Context[int64], w windowBid, _ weir.Collector[topBids]) error {
	t, ok, err := f.top.Value()
	if err != nil {
		return err
	}
	if !ok {
		// The watermark passes End once every bid up to End is in.
		if err := ctx.TimerService().RegisterEventTimeTimer(w.End); err != nil {
			return err
		}
		t.End = w.End
	}
	if !t.add(w.Bid, w.Counts) && ok {
		return nil // below the maximum: nothing to store
	}
	return f.top.Update(t)
}

func (f *bucketTop) OnTimer(_ *weir.Context[int64], _ int64, out weir.Collector[topBids]) error {
	t, ok, err := f.top.Value()
	if err != nil || !ok {
		return err
	}
	out.Collect(t)
	return f.top.Clear()
}

type windowTop struct {
	top weir.ValueState[topBids]
}

func (f *windowTop) Open(ctx *weir.OpenContext[int64]) (err error) {
	f.top, err = weir.NewValueState[topBids](ctx, "top")
	return err
}

func (f *windowTop) ProcessElement(ctx *weir.Context[int64], p topBids, _ weir.Collector[Q7Row]) error {
	t, ok, err := f.top.Value()
	if err != nil {
		return err
	}
	if !ok {
		if err := ctx.TimerService().RegisterEventTimeTimer(p.End); err != nil {
			return err
		}
		t.End = p.End
	}
	t.merge(p)
	return f.top.Update(t)
}

func (f *windowTop) OnTimer(_ *weir.Context[int64], _ int64, out weir.Collector[Q7Row]) error {
	t, ok, err := f.top.Value()
	if err != nil || !ok {
		return err
	}
	if t.HasMax {
		for _, b := range t.Bids {
			if b.Price == t.Max {
				out.Collect(Q7Row(b))
			}
		}
	}
	return f.top.Clear()
}

// --- Q8 ------------------------------------------------------------------

// Q8 monitors new users: the persons who created an auction in the same
// tumbling window of 10 s as they joined.
//
//	SELECT P.id, P.name, P.starttime
//	FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
//	      FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//	      GROUP BY id, name, window_start, window_end) P
//	JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
//	      FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//	      GROUP BY seller, window_start, window_end) A
//	ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
//
// The auctions are reduced to one per seller and window (the GROUP BY),
// then joined with the persons in the same tumbling windows.
func Q8(in Input) weir.DataStream[Q8Row] {
	const size = 10 * time.Second
	sellers := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[int64]) error {
		if e.Type == nexmark.AuctionEvent {
			out.Collect(e.Auction.Seller)
		}
		return nil
	}).Name("Auction sellers")
	perWindow := weir.ReduceWindow(weir.Window(weir.KeyBy(sellers, func(s int64) int64 { return s }), weir.TumblingEventTimeWindows(size)),
		func(a, _ int64) (int64, error) { return a, nil }).Name("Q8 sellers per window").UID("q8-sellers")
	persons := weir.FlatMap(in.Events, func(e nexmark.Event, out weir.Collector[q8Person]) error {
		if e.Type == nexmark.PersonEvent {
			out.Collect(q8Person{ID: e.Person.ID, Name: e.Person.Name, DateTime: e.Person.DateTime})
		}
		return nil
	}).Name("New persons")
	ms := size.Milliseconds()
	return weir.JoinWindow(
		weir.KeyBy(persons, func(p q8Person) int64 { return p.ID }),
		weir.KeyBy(perWindow, func(s int64) int64 { return s }),
		weir.TumblingEventTimeWindows(size),
		func(p q8Person, _ int64) (Q8Row, error) {
			return Q8Row{ID: p.ID, Name: p.Name, Stime: p.DateTime / ms * ms}, nil
		}).Name("Q8 join").UID("q8-join")
}

type q8Person struct {
	ID       int64
	Name     string
	DateTime int64
}

package nexmark

import (
	"iter"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Split is the share of the events one generator produces: Beam's and the
// Flink suite's GeneratorConfig.split gives generator i of p a contiguous
// range of MaxEvents event ids starting at FirstEventID, on a timeline of
// its own that starts at the base time and runs at 1/Generators of the
// overall rate. Next is how many of its events have been generated: the
// generator's whole state, and its checkpointed position.
type Split struct {
	FirstEventID int64
	MaxEvents    int64
	Generators   int
	Next         int64
}

// Done reports whether the split has generated all its events.
func (s Split) Done() bool { return s.Next >= s.MaxEvents }

// maxEvents is the event count of an unbounded configuration: as large as
// the generators allow without overflowing size estimates (the Flink
// suite's choice).
func (c *Config) maxEvents() int64 {
	if c.Events > 0 {
		return c.Events
	}
	return math.MaxInt64 / (c.totalProportion() * int64(max(c.PersonAvgSize, c.AuctionAvgSize, c.BidAvgSize)))
}

// Splits divides the events into p splits as GeneratorConfig.split does:
// Events/p each, the last one taking the remainder.
func (c *Config) Splits(p int) []Split {
	p = max(p, 1)
	total := c.maxEvents()
	each := total / int64(p)
	out := make([]Split, p)
	first := int64(0)
	for i := range out {
		n := each
		if i == p-1 {
			n = total - each*int64(p-1)
		}
		out[i] = Split{FirstEventID: first, MaxEvents: n, Generators: p}
		first += n
	}
	return out
}

// timeline maps a generator's event numbers to timestamps.
type timeline struct {
	base           int64
	delaysUs       []float64 // inter-event delay of each step of the rate shape
	stepSec        int64
	eventsPerEpoch int64
	epochPeriodMs  int64
}

func (c *Config) timeline(generators int) timeline {
	g := float64(max(generators, 1))
	t := timeline{base: c.BaseTime}
	if c.FirstEventRate == c.NextEventRate {
		t.delaysUs = []float64{1e6 / float64(c.FirstEventRate) * g}
		return t
	}
	// Beam's SQUARE shape: two steps of ratePeriod/2 each, cycling.
	t.delaysUs = []float64{1e6 / float64(c.FirstEventRate) * g, 1e6 / float64(c.NextEventRate) * g}
	t.stepSec = (int64(c.RatePeriod.Seconds()) + 1) / 2
	for _, d := range t.delaysUs {
		n := int64(float64(t.stepSec) * 1e6 / d)
		t.eventsPerEpoch += n
		t.epochPeriodMs += int64(float64(n)*d) / 1000
	}
	return t
}

// at is the timestamp of event number n.
func (t *timeline) at(n int64) int64 {
	if len(t.delaysUs) == 1 {
		return t.base + int64(float64(n)*t.delaysUs[0])/1000
	}
	epoch, n := n/t.eventsPerEpoch, n%t.eventsPerEpoch
	offsetMs := int64(0)
	for _, d := range t.delaysUs {
		steps := int64(float64(t.stepSec) * 1e6 / d)
		if n < steps {
			return t.base + epoch*t.epochPeriodMs + offsetMs + int64(float64(n)*d)/1000
		}
		n -= steps
		offsetMs += int64(float64(steps)*d) / 1000
	}
	return t.base + (epoch+1)*t.epochPeriodMs // not reached
}

// adjusted scrambles event numbers within groups of OutOfOrderGroupSize
// (GeneratorConfig.nextAdjustedEventNumber).
func (c *Config) adjusted(n int64) int64 {
	g := c.OutOfOrderGroupSize
	if g <= 1 {
		return n
	}
	return n/g*g + n*953%g
}

// Generator produces the events of one split. It is a pure function of
// the configuration and the split: event k of a split is the same in every
// run, at every batch size, after every restore.
type Generator struct {
	cfg   Config
	split Split
	tl    timeline
	total int64
}

// NewGenerator returns the generator of split s under c.
func NewGenerator(c Config, s Split) *Generator {
	return &Generator{cfg: c, split: s, tl: c.timeline(s.Generators), total: c.totalProportion()}
}

// Split is the generator's position.
func (g *Generator) Split() Split { return g.split }

// HasNext reports whether the split has events left.
func (g *Generator) HasNext() bool { return !g.split.Done() }

// NextTimestamp is the timestamp of the next event (valid if HasNext).
func (g *Generator) NextTimestamp() int64 {
	return g.tl.at(g.cfg.adjusted(g.split.Next))
}

// Next generates the next event into e and advances the position.
func (g *Generator) Next(e *Event) {
	count := g.split.Next
	num := g.cfg.adjusted(count)
	id := g.split.FirstEventID + num
	ts := g.tl.at(num)
	r := newRNG(g.cfg.Seed, id)
	*e = Event{}
	switch rem := id % g.total; {
	case rem < int64(g.cfg.PersonProportion):
		e.Type = PersonEvent
		g.person(&e.Person, id, &r, ts)
	case rem < int64(g.cfg.PersonProportion+g.cfg.AuctionProportion):
		e.Type = AuctionEvent
		g.auction(&e.Auction, num, id, &r, ts)
	default:
		e.Type = BidEvent
		g.bid(&e.Bid, id, &r, ts)
	}
	g.split.Next++
}

// All yields the split's remaining events.
func (g *Generator) All() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		var e Event
		for g.HasNext() {
			g.Next(&e)
			if !yield(e) {
				return
			}
		}
	}
}

// Generate yields every event of c as p generators produce them: the
// events of split 0, then those of split 1, and so on. It is what the
// source emits at parallelism p (each subtask in its own order), for
// checking query results and for dumps.
func (c Config) Generate(p int) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for _, s := range c.Splits(p) {
			for e := range NewGenerator(c, s).All() {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// --- ids -----------------------------------------------------------------

const (
	personIDLead   = 10  // persons ahead of the last one a reference may name
	auctionIDLead  = 10  // same for auctions
	hotSellerBatch = 100 // HOT_SELLER_RATIO: the first of each 100 persons is the hot seller
	hotAuctionStep = 100 // HOT_AUCTION_RATIO
	hotBidderStep  = 100 // HOT_BIDDER_RATIO
	numCategories  = 5
)

// lastPerson is the base-0 id of the last person generated at or before
// event id (PersonGenerator.lastBase0PersonId).
func (g *Generator) lastPerson(id int64) int64 {
	epoch, off := id/g.total, id%g.total
	p := int64(g.cfg.PersonProportion)
	if off >= p {
		off = p - 1
	}
	return epoch*p + off
}

// lastAuction is AuctionGenerator.lastBase0AuctionId.
func (g *Generator) lastAuction(id int64) int64 {
	epoch, off := id/g.total, id%g.total
	p, a := int64(g.cfg.PersonProportion), int64(g.cfg.AuctionProportion)
	switch {
	case off < p:
		epoch--
		off = a - 1
	case off >= p+a:
		off = a - 1
	default:
		off -= p
	}
	return epoch*a + off
}

// somePerson picks one of the active persons, or one of the next few
// (PersonGenerator.nextBase0PersonId).
func (g *Generator) somePerson(id int64, r *rng) int64 {
	n := g.lastPerson(id) + 1
	active := min(n, int64(g.cfg.NumActivePeople))
	return n - active + r.long(active+personIDLead)
}

// someAuction picks one of the auctions likely still open, or one of the
// next few (AuctionGenerator.nextBase0AuctionId).
func (g *Generator) someAuction(id int64, r *rng) int64 {
	last := g.lastAuction(id)
	lo := max(last-int64(g.cfg.NumInFlightAuctions), 0)
	return lo + r.long(last-lo+1+auctionIDLead)
}

// --- records -------------------------------------------------------------

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
)

func (g *Generator) person(p *Person, id int64, r *rng, ts int64) {
	p.ID = g.lastPerson(id) + FirstPersonID
	p.Name = firstNames[r.intn(len(firstNames))] + " " + lastNames[r.intn(len(lastNames))]
	p.EmailAddress = randomString(r, 7, ' ') + "@" + randomString(r, 5, ' ') + ".com"
	var cc [19]byte
	for i := range 4 {
		if i > 0 {
			cc[5*i-1] = ' '
		}
		n := r.intn(10000)
		for j := 3; j >= 0; j-- {
			cc[5*i+j] = byte('0' + n%10)
			n /= 10
		}
	}
	p.CreditCard = string(cc[:])
	p.City = usCities[r.intn(len(usCities))]
	p.State = usStates[r.intn(len(usStates))]
	p.DateTime = ts
	size := 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = extra(r, size, g.cfg.PersonAvgSize)
}

func (g *Generator) auction(a *Auction, num, id int64, r *rng, ts int64) {
	a.ID = g.lastAuction(id) + FirstAuctionID
	if r.intn(g.cfg.HotSellersRatio) > 0 {
		a.Seller = g.lastPerson(id) / hotSellerBatch * hotSellerBatch
	} else {
		a.Seller = g.somePerson(id, r)
	}
	a.Seller += FirstPersonID
	a.Category = FirstCategoryID + int64(r.intn(numCategories))
	a.InitialBid = price(r)
	a.DateTime = ts
	a.Expires = ts + g.auctionLength(num, r, ts)
	a.ItemName = randomString(r, 20, ' ')
	a.Description = randomString(r, 100, ' ')
	a.Reserve = a.InitialBid + price(r)
	a.Extra = extra(r, 8+len(a.ItemName)+len(a.Description)+40, g.cfg.AuctionAvgSize)
}

// auctionLength draws an auction's length so that on average it lasts
// until NumInFlightAuctions more auctions have been created
// (AuctionGenerator.nextAuctionLengthMs).
func (g *Generator) auctionLength(num int64, r *rng, ts int64) int64 {
	ahead := int64(g.cfg.NumInFlightAuctions) * g.total / int64(g.cfg.AuctionProportion)
	horizon := g.tl.at(num+ahead) - ts
	return 1 + r.long(max(2*horizon, 1))
}

func (g *Generator) bid(b *Bid, id int64, r *rng, ts int64) {
	if r.intn(g.cfg.HotAuctionRatio) > 0 {
		b.Auction = g.lastAuction(id) / hotAuctionStep * hotAuctionStep
	} else {
		b.Auction = g.someAuction(id, r)
	}
	b.Auction += FirstAuctionID
	if r.intn(g.cfg.HotBiddersRatio) > 0 {
		b.Bidder = g.lastPerson(id)/hotBidderStep*hotBidderStep + 1
	} else {
		b.Bidder = g.somePerson(id, r)
	}
	b.Bidder += FirstPersonID
	b.Price = price(r)
	ch := channels()
	if r.intn(2) > 0 {
		i := r.intn(len(ch.hot))
		b.Channel, b.URL = ch.hot[i], ch.hotURLs[i]
	} else {
		i := r.intn(len(ch.names))
		b.Channel, b.URL = ch.names[i], ch.urls[i]
	}
	b.DateTime = ts
	b.Extra = extra(r, 32, g.cfg.BidAvgSize)
}

// price is a price in cents between 1 and 100 000 000, log-uniform
// (PriceGenerator.nextPrice).
func price(r *rng) int64 {
	return int64(math.Floor(math.Pow(10, r.float()*6)*100 + 0.5))
}

// randomString is a string of 3 to maxLen-1 letters, about one in 13 of
// them special, trimmed of spaces (StringsGenerator.nextString).
func randomString(r *rng, maxLen int, special byte) string {
	n := 3 + r.intn(maxLen-3)
	b := make([]byte, n)
	for i := range b {
		if r.intn(13) == 0 {
			b[i] = special
		} else {
			b[i] = byte('a' + r.intn(26))
		}
	}
	return strings.Trim(string(b), " ")
}

// extraPool is a fixed random string the extra fields are cut from, as
// the Flink suite's REUSABLE_EXTRA_STRING: a substring costs nothing.
const extraPoolSize = 1 << 20

var extraPool = sync.OnceValue(func() string {
	r := newRNG(0x6e65786d61726b, 0) // fixed: "nexmark"
	b := make([]byte, extraPoolSize)
	for i := range b {
		b[i] = byte('a' + r.intn(26))
	}
	return string(b)
})

// extra pads a record of size bytes towards an average of avg: a string
// of avg-size bytes ±20% (StringsGenerator.nextExtra).
func extra(r *rng, size, avg int) string {
	if size > avg {
		return ""
	}
	avg -= size
	delta := int(math.Floor(float64(avg)*0.2 + 0.5))
	n := avg - delta
	if delta > 0 {
		n += r.intn(2 * delta)
	}
	pool := extraPool()
	if n < len(pool)/2 {
		off := r.intn(len(pool) - n)
		return pool[off : off+n]
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.intn(26))
	}
	return string(b)
}

// channelTable holds the bid channels and their URLs: four hot channels
// and 10 000 others, nine in ten of whose URLs carry a channel_id
// (BidGenerator's HOT_CHANNELS and CHANNEL_URL_CACHE). Built once from a
// fixed seed.
type channelTable struct {
	hot, hotURLs, names, urls []string
}

var channels = sync.OnceValue(func() *channelTable {
	r := newRNG(0x6368616e6e656c, 0) // fixed: "channel"
	baseURL := func() string {
		return "https://www.nexmark.com/" + randomString(&r, 5, '_') + "/" + randomString(&r, 5, '_') + "/" +
			randomString(&r, 5, '_') + "/item.htm?query=1"
	}
	t := &channelTable{hot: []string{"Google", "Facebook", "Baidu", "Apple"}}
	for range t.hot {
		t.hotURLs = append(t.hotURLs, baseURL())
	}
	const n = 10000
	t.names, t.urls = make([]string, n), make([]string, n)
	for i := range n {
		u := baseURL()
		if r.intn(10) > 0 {
			// Java's Math.abs(Integer.reverse(i)), overflow included.
			v := int32(bits.Reverse32(uint32(i)))
			if v < 0 {
				v = -v
			}
			u += "&channel_id=" + strconv.Itoa(int(v))
		}
		t.names[i], t.urls[i] = "channel-"+strconv.Itoa(i), u
	}
	return t
})

// --- randomness ----------------------------------------------------------

// rng is a splitmix64 generator. Each event gets its own, seeded from the
// configuration's seed and the event id (as Beam seeds a Random with the
// event id), so that an event does not depend on any other.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed uint64, id int64) rng {
	return rng{s: mix64(seed+0x9e3779b97f4a7c15) ^ mix64(uint64(id)+0x632be59bd9b4e019)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn is uniform in [0, n) for 0 < n < 2^32.
func (r *rng) intn(n int) int {
	return int((r.next() >> 32) * uint64(n) >> 32)
}

// long is uniform in [0, n) for n > 0.
func (r *rng) long(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// PersonSpan bounds the event time during which one of p generators still
// names a person in its new auctions and bids after creating it: the time
// it takes to create NumActivePeople more persons (plus the lead), at the
// slower rate. A person named later than that by the same generator is not
// generated; a person of another generator's range is named only by events
// earlier in event time than the person (the next split's timeline starts
// again at the base time). Queries use it to bound how long they keep a
// person.
func (c *Config) PersonSpan(p int) time.Duration {
	events := int64(c.NumActivePeople+1+personIDLead) * c.totalProportion() / int64(c.PersonProportion)
	rate := min(c.FirstEventRate, c.NextEventRate)
	return time.Duration(float64(events) * float64(max(p, 1)) / float64(rate) * float64(time.Second))
}

package nexmark

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
)

// BaseTime is the default event time of the first event: 2015-07-15
// 00:00:00 UTC in epoch milliseconds, Beam's NexmarkUtils.BASE_TIME, so
// that every run sees the same event times. (The Flink suite starts at the
// wall clock instead.)
const BaseTime int64 = 1436918400000

// Ids start at these values, as in both generators, so that the queries
// find matches even on small inputs.
const (
	FirstPersonID   = 1000
	FirstAuctionID  = 1000
	FirstCategoryID = 10
)

// Config is the generator's configuration. The zero value is not valid;
// start from DefaultConfig. Set takes the options by the names of the
// Flink suite's nexmark connector (NexmarkSourceOptions) where it has one,
// and otherwise by names derived from Beam's NexmarkConfiguration fields.
type Config struct {
	// Events is how many events to generate in total (events.num); 0 means
	// unbounded.
	Events int64
	// FirstEventRate and NextEventRate are the overall event rates in
	// events per second (first-event.rate, next-event.rate). They set the
	// events' timestamps: event n is at BaseTime + n/rate. When they
	// differ the rate alternates between them every RatePeriod/2 (Beam's
	// square rate shape).
	FirstEventRate, NextEventRate int
	// RatePeriod is the period of the rate shape (rate.period).
	RatePeriod time.Duration
	// RateLimited emits each event when the wall clock reaches its
	// timestamp (relative to the first event) instead of at full speed
	// (rate.limited; the Flink suite's max-emit-speed=false).
	RateLimited bool
	// Average sizes in bytes of the three records (person.avg-size,
	// auction.avg-size, bid.avg-size): each record's extra field is
	// padded to reach them.
	PersonAvgSize, AuctionAvgSize, BidAvgSize int
	// Proportions of persons, auctions and bids (person.proportion,
	// auction.proportion, bid.proportion): 1:3:46 by default, so 2% of
	// events are persons, 6% auctions and 92% bids.
	PersonProportion, AuctionProportion, BidProportion int
	// HotAuctionRatio: a bid is for a hot auction with probability
	// 1 - 1/HotAuctionRatio (bid.hot-ratio.auctions). HotBiddersRatio and
	// HotSellersRatio likewise for bidders (bid.hot-ratio.bidders) and
	// sellers (auction.hot-ratio.sellers).
	HotAuctionRatio, HotBiddersRatio, HotSellersRatio int
	// NumInFlightAuctions is about how many auctions are open at any time,
	// per generator (auction.num-in-flight; Beam's numInFlightAuctions):
	// bids go to recent auctions and auctions last that long.
	NumInFlightAuctions int
	// NumActivePeople is how many of the most recent persons are active
	// sellers and bidders (person.num-active; Beam's numActivePeople).
	NumActivePeople int
	// OutOfOrderGroupSize: each run of that many events per generator is
	// emitted in a scrambled order, so their timestamps go back and forth
	// within the group (out-of-order.group-size; Beam's
	// outOfOrderGroupSize). 1 means in order.
	OutOfOrderGroupSize int64
	// BaseTime is the timestamp of the first event (base-time, epoch
	// milliseconds).
	BaseTime int64
	// Seed makes a different but equally deterministic stream (seed).
	Seed uint64
}

// DefaultConfig is the configuration of the Flink suite's defaults
// (NexmarkSourceOptions and NexmarkConfiguration), unbounded, at Beam's
// base time and seed 0.
func DefaultConfig() Config {
	return Config{
		FirstEventRate:      10000,
		NextEventRate:       10000,
		RatePeriod:          600 * time.Second,
		PersonAvgSize:       200,
		AuctionAvgSize:      500,
		BidAvgSize:          100,
		PersonProportion:    1,
		AuctionProportion:   3,
		BidProportion:       46,
		HotAuctionRatio:     2,
		HotBiddersRatio:     4,
		HotSellersRatio:     4,
		NumInFlightAuctions: 100,
		NumActivePeople:     1000,
		OutOfOrderGroupSize: 1,
		BaseTime:            BaseTime,
	}
}

// ErrBadConfig marks a configuration the generator refuses.
var ErrBadConfig = errors.New("bad nexmark option")

type option struct {
	set func(c *Config, v string) error
	get func(c *Config) string
	doc string
}

func intOpt(field func(*Config) *int, min int, doc string) option {
	return option{
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min {
				return fmt.Errorf("want a whole number of at least %d", min)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
		doc: doc,
	}
}

func sizeOpt(field func(*Config) *int, doc string) option {
	return option{
		set: func(c *Config, v string) error {
			n, err := config.ParseMemorySize(v)
			if err != nil || n < 1 || n > math.MaxInt32 {
				return fmt.Errorf("want a memory size such as 100b or 1kb")
			}
			*field(c) = int(n)
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) + "b" },
		doc: doc,
	}
}

var options = map[string]option{
	"events.num": {
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errors.New("want a whole number of events, 0 for unbounded")
			}
			c.Events = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.Events, 10) },
		doc: "events to generate in total; 0 is unbounded",
	},
	"first-event.rate": intOpt(func(c *Config) *int { return &c.FirstEventRate }, 1, "events per second (sets the timestamps)"),
	"next-event.rate":  intOpt(func(c *Config) *int { return &c.NextEventRate }, 1, "the rate alternating with first-event.rate every rate.period/2"),
	"rate.period": {
		set: func(c *Config, v string) error {
			d, err := config.ParseDuration(v)
			if err != nil || d < 2*time.Second {
				return errors.New("want a duration of at least 2s")
			}
			c.RatePeriod = d
			return nil
		},
		get: func(c *Config) string { return config.FormatDuration(c.RatePeriod) },
		doc: "period of the square rate shape",
	},
	"rate.shape": {
		set: func(_ *Config, v string) error {
			if !strings.EqualFold(v, "square") {
				return errors.New("only square is supported")
			}
			return nil
		},
		get: func(*Config) string { return "square" },
		doc: "rate shape; only square",
	},
	"rate.limited": {
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			c.RateLimited = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(c.RateLimited) },
		doc: "emit events at the pace of their timestamps instead of at full speed",
	},
	"person.avg-size":           sizeOpt(func(c *Config) *int { return &c.PersonAvgSize }, "average person size"),
	"auction.avg-size":          sizeOpt(func(c *Config) *int { return &c.AuctionAvgSize }, "average auction size"),
	"bid.avg-size":              sizeOpt(func(c *Config) *int { return &c.BidAvgSize }, "average bid size"),
	"person.proportion":         intOpt(func(c *Config) *int { return &c.PersonProportion }, 1, "share of persons"),
	"auction.proportion":        intOpt(func(c *Config) *int { return &c.AuctionProportion }, 1, "share of auctions"),
	"bid.proportion":            intOpt(func(c *Config) *int { return &c.BidProportion }, 1, "share of bids"),
	"bid.hot-ratio.auctions":    intOpt(func(c *Config) *int { return &c.HotAuctionRatio }, 1, "a bid is for a hot auction with probability 1-1/ratio"),
	"bid.hot-ratio.bidders":     intOpt(func(c *Config) *int { return &c.HotBiddersRatio }, 1, "a bid is by a hot bidder with probability 1-1/ratio"),
	"auction.hot-ratio.sellers": intOpt(func(c *Config) *int { return &c.HotSellersRatio }, 1, "an auction is by a hot seller with probability 1-1/ratio"),
	"auction.num-in-flight":     intOpt(func(c *Config) *int { return &c.NumInFlightAuctions }, 1, "auctions open at a time, per generator"),
	"person.num-active":         intOpt(func(c *Config) *int { return &c.NumActivePeople }, 1, "recent persons who sell and bid"),
	"out-of-order.group-size": {
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return errors.New("want a whole number of at least 1")
			}
			c.OutOfOrderGroupSize = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.OutOfOrderGroupSize, 10) },
		doc: "events per scrambled group; 1 is in order",
	},
	"base-time": {
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errors.New("want epoch milliseconds")
			}
			c.BaseTime = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.BaseTime, 10) },
		doc: "timestamp of the first event, epoch milliseconds",
	},
	"seed": {
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return errors.New("want an unsigned whole number")
			}
			c.Seed = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatUint(c.Seed, 10) },
		doc: "seed of the pseudo-random choices",
	},
}

// Options lists the option names Set accepts, sorted.
func Options() []string {
	names := make([]string, 0, len(options))
	for k := range options {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Describe returns an option's current value and a short description.
func (c *Config) Describe(name string) (value, doc string, ok bool) {
	o, ok := options[name]
	if !ok {
		return "", "", false
	}
	return o.get(c), o.doc, true
}

// Set sets the option called name (see Options) from its text form.
func (c *Config) Set(name, value string) error {
	o, ok := options[name]
	if !ok {
		return fmt.Errorf("%w: unknown option %q (known: %s)", ErrBadConfig, name, strings.Join(Options(), ", "))
	}
	if err := o.set(c, strings.TrimSpace(value)); err != nil {
		return fmt.Errorf("%w: %s=%s: %w", ErrBadConfig, name, value, err)
	}
	return nil
}

// Validate checks that the generator can run with c.
func (c *Config) Validate() error {
	switch {
	case c.Events < 0:
		return fmt.Errorf("%w: events.num must not be negative", ErrBadConfig)
	case c.FirstEventRate < 1 || c.NextEventRate < 1:
		return fmt.Errorf("%w: first-event.rate and next-event.rate must be at least 1", ErrBadConfig)
	case c.FirstEventRate != c.NextEventRate && c.RatePeriod < 2*time.Second:
		return fmt.Errorf("%w: rate.period must be at least 2s", ErrBadConfig)
	case c.PersonAvgSize < 1 || c.AuctionAvgSize < 1 || c.BidAvgSize < 1:
		return fmt.Errorf("%w: average sizes must be at least 1 byte", ErrBadConfig)
	case c.PersonProportion < 1 || c.AuctionProportion < 1 || c.BidProportion < 1:
		return fmt.Errorf("%w: proportions must be at least 1", ErrBadConfig)
	case c.HotAuctionRatio < 1 || c.HotBiddersRatio < 1 || c.HotSellersRatio < 1:
		return fmt.Errorf("%w: hot ratios must be at least 1", ErrBadConfig)
	case c.NumInFlightAuctions < 1 || c.NumActivePeople < 1:
		return fmt.Errorf("%w: auction.num-in-flight and person.num-active must be at least 1", ErrBadConfig)
	case c.OutOfOrderGroupSize < 1:
		return fmt.Errorf("%w: out-of-order.group-size must be at least 1", ErrBadConfig)
	}
	return nil
}

func (c *Config) totalProportion() int64 {
	return int64(c.PersonProportion + c.AuctionProportion + c.BidProportion)
}

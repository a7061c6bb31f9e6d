package nexmark

import (
	"encoding/json"
	"fmt"
)

// EventType says which of its three records an Event carries. The values
// are those of the event_type column of the Flink suite's datagen table.
type EventType int8

// Event types.
const (
	PersonEvent  EventType = 0
	AuctionEvent EventType = 1
	BidEvent     EventType = 2
)

// String names the type as the JSON dump does.
func (t EventType) String() string {
	switch t {
	case PersonEvent:
		return "person"
	case AuctionEvent:
		return "auction"
	case BidEvent:
		return "bid"
	}
	return fmt.Sprintf("EventType(%d)", int8(t))
}

// Person is a new user of the auction site. Times are milliseconds since
// the epoch.
type Person struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	EmailAddress string `json:"emailAddress"`
	CreditCard   string `json:"creditCard"`
	City         string `json:"city"`
	State        string `json:"state"`
	DateTime     int64  `json:"dateTime"`
	Extra        string `json:"extra"`
}

// Auction is an item put up for auction by Seller (a Person's ID).
type Auction struct {
	ID          int64  `json:"id"`
	ItemName    string `json:"itemName"`
	Description string `json:"description"`
	InitialBid  int64  `json:"initialBid"`
	Reserve     int64  `json:"reserve"`
	DateTime    int64  `json:"dateTime"`
	Expires     int64  `json:"expires"`
	Seller      int64  `json:"seller"`
	Category    int64  `json:"category"`
	Extra       string `json:"extra"`
}

// Bid is a bid of Bidder (a Person's ID) on Auction (an Auction's ID).
type Bid struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	Channel  string `json:"channel"`
	URL      string `json:"url"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
}

// Event is one generated event: Type says which of Person, Auction and Bid
// holds it; the other two are zero. (A struct rather than an interface, so
// that events travel by value through chained operators without an
// allocation each.)
type Event struct {
	Type    EventType
	Person  Person
	Auction Auction
	Bid     Bid
}

// DateTime is the event's time, its event-time timestamp.
func (e *Event) DateTime() int64 {
	switch e.Type {
	case PersonEvent:
		return e.Person.DateTime
	case AuctionEvent:
		return e.Auction.DateTime
	}
	return e.Bid.DateTime
}

// MarshalJSON writes the event as one flat object: "type" (person,
// auction or bid) and the fields of that record, named as in the Flink
// suite's DDL (dateTime in epoch milliseconds).
func (e Event) MarshalJSON() ([]byte, error) {
	switch e.Type {
	case PersonEvent:
		return json.Marshal(struct {
			Type string `json:"type"`
			Person
		}{"person", e.Person})
	case AuctionEvent:
		return json.Marshal(struct {
			Type string `json:"type"`
			Auction
		}{"auction", e.Auction})
	case BidEvent:
		return json.Marshal(struct {
			Type string `json:"type"`
			Bid
		}{"bid", e.Bid})
	}
	return nil, fmt.Errorf("nexmark: cannot marshal event of type %v", e.Type)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Event) UnmarshalJSON(b []byte) error {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	*e = Event{}
	switch head.Type {
	case "person":
		e.Type = PersonEvent
		return json.Unmarshal(b, &e.Person)
	case "auction":
		e.Type = AuctionEvent
		return json.Unmarshal(b, &e.Auction)
	case "bid":
		e.Type = BidEvent
		return json.Unmarshal(b, &e.Bid)
	}
	return fmt.Errorf("nexmark: unknown event type %q", head.Type)
}

package nexmark

import (
	"strconv"
	"strings"
)

// Row is a query's result row: it writes itself as one CSV line (without
// the newline) in the column order of the query's SQL definition.
type Row interface {
	AppendCSV(b []byte) []byte
}

// appendString appends s as a CSV field (RFC 4180): quoted when it holds
// a comma, a quote or a line break.
func appendString(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// Q0Row: auction, bidder, price, dateTime, extra.
type Q0Row struct {
	Auction, Bidder, Price, DateTime int64
	Extra                            string
}

// AppendCSV implements Row.
func (r Q0Row) AppendCSV(b []byte) []byte {
	b = appendInt(b, r.Auction)
	b = appendInt(append(b, ','), r.Bidder)
	b = appendInt(append(b, ','), r.Price)
	b = appendInt(append(b, ','), r.DateTime)
	return appendString(append(b, ','), r.Extra)
}

// Q1Row: auction, bidder, price (in euros, DECIMAL(23, 3)), dateTime,
// extra. PriceMilli is the price in thousandths, exactly 0.908 × the bid's
// price.
type Q1Row struct {
	Auction, Bidder, PriceMilli, DateTime int64
	Extra                                 string
}

// AppendCSV implements Row: the price with three decimals.
func (r Q1Row) AppendCSV(b []byte) []byte {
	b = appendInt(b, r.Auction)
	b = appendInt(append(b, ','), r.Bidder)
	b = append(b, ',')
	p := r.PriceMilli
	if p < 0 {
		b, p = append(b, '-'), -p
	}
	b = appendInt(b, p/1000)
	frac := p % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	b = appendInt(append(b, ','), r.DateTime)
	return appendString(append(b, ','), r.Extra)
}

// Q2Row: auction, price.
type Q2Row struct{ Auction, Price int64 }

// AppendCSV implements Row.
func (r Q2Row) AppendCSV(b []byte) []byte {
	return appendInt(append(appendInt(b, r.Auction), ','), r.Price)
}

// Q3Row: name, city, state, id (the auction's).
type Q3Row struct {
	Name, City, State string
	ID                int64
}

// AppendCSV implements Row.
func (r Q3Row) AppendCSV(b []byte) []byte {
	b = appendString(b, r.Name)
	b = appendString(append(b, ','), r.City)
	b = appendString(append(b, ','), r.State)
	return appendInt(append(b, ','), r.ID)
}

// Q4Row: id (the category), final (the average closing price, truncated
// to a whole number as SQL's AVG of BIGINT). Each row is an update; the
// last row of a category is its current value.
type Q4Row struct{ ID, Final int64 }

// AppendCSV implements Row.
func (r Q4Row) AppendCSV(b []byte) []byte {
	return appendInt(append(appendInt(b, r.ID), ','), r.Final)
}

// Q5Row: auction, num (its bids in the window).
type Q5Row struct{ Auction, Num int64 }

// AppendCSV implements Row.
func (r Q5Row) AppendCSV(b []byte) []byte {
	return appendInt(append(appendInt(b, r.Auction), ','), r.Num)
}

// Q6Row: seller, avg_price (the average final price of the seller's
// last closed auctions, up to 10, truncated to a whole number as SQL's AVG
// of BIGINT). Each row is an update; the last row of a seller is its
// current value.
type Q6Row struct{ Seller, AvgPrice int64 }

// AppendCSV implements Row.
func (r Q6Row) AppendCSV(b []byte) []byte {
	return appendInt(append(appendInt(b, r.Seller), ','), r.AvgPrice)
}

// Q7Row: auction, price, bidder, dateTime, extra, in the order of the
// query's SELECT list. (The Flink suite's sink table declares auction,
// bidder, price: its INSERT fills them by position, so its "bidder"
// column holds the price; this row keeps the SELECT order.)
type Q7Row struct {
	Auction, Price, Bidder, DateTime int64
	Extra                            string
}

// AppendCSV implements Row.
func (r Q7Row) AppendCSV(b []byte) []byte {
	b = appendInt(b, r.Auction)
	b = appendInt(append(b, ','), r.Price)
	b = appendInt(append(b, ','), r.Bidder)
	b = appendInt(append(b, ','), r.DateTime)
	return appendString(append(b, ','), r.Extra)
}

// Q8Row: id, name, stime (the start of the 10 s window).
type Q8Row struct {
	ID    int64
	Name  string
	Stime int64
}

// AppendCSV implements Row.
func (r Q8Row) AppendCSV(b []byte) []byte {
	b = appendInt(b, r.ID)
	b = appendString(append(b, ','), r.Name)
	return appendInt(append(b, ','), r.Stime)
}

// Package nexmark is the Nexmark benchmark's queries written with Weir's
// DataStream API, as examples to read: q0 to q8 with the
// semantics of the SQL definitions of the nexmark/nexmark suite
// (nexmark-flink/src/main/resources/queries/q*.sql), whose text each
// function's comment quotes. It owns the queries (Q0 ... Q8), their result
// rows and CSV form (Row), the declaration of the event source with the
// suite's event time (Events), and a table of the queries by name
// (Queries, Lookup) for `weir bench nexmark`.
//
// The events come from connector/nexmark. Each query reads an Input: the
// events with their dateTime as event time and watermarks 4 s behind, as
// the suite's DDL declares. Result rows write themselves as CSV in the
// column order of the SQL definition, timestamps as epoch milliseconds.
//
// How each query maps onto the API, and where it departs from SQL:
//
//   - q0, q1, q2: one FlatMap, chained to the source. q1's price is
//     DECIMAL(23, 3), kept exactly as thousandths.
//   - q3: an unbounded inner join as a keyed co-process function. The
//     matching persons are kept for ever, as SQL's join keeps its input;
//     persons of other states only for a while (see Q3).
//   - q4: two keyed process steps (max per auction, average per
//     category). Each change of a category's average is one row; Flink's
//     retraction-based plan would also write an intermediate row for the
//     retraction of an auction's previous maximum. State is dropped by
//     event time when nothing can change it any more, which changes no
//     result since the generator's events are never later than the
//     watermark.
//   - q5: a sliding window count, then a keyed process function per window
//     keeping the leaders. The result is the final outcome of SQL's
//     updating join (each window's auctions at the maximum count, ties
//     included), written once when the window closes.
//   - q6: q4's first step, sending each auction's final price when it
//     closes, then a keyed process step per seller that takes the closed
//     auctions in the order of their expiry (ties by auction id) and
//     writes the average of the seller's last 10 after each. Its SQL (an
//     OVER aggregate over a ROW_NUMBER of an updating join) does not run
//     on Flink (FLINK-19059); the frame is 10 auctions, not the SQL's 11,
//     and the order is by expiry, not by the winning bid's time (see Q6).
//   - q7: the highest bids of each window in two keyed steps (per window
//     and bucket, then per window), BETWEEN's inclusive upper end
//     included. Columns in the SELECT order (see Q7Row).
//   - q8: a windowed reduce (one row per seller and window) and a window
//     join.
package nexmark

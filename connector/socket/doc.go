// Package socket is a source that reads text records from a TCP server, like
// Flink's socketTextStream (SocketTextStreamFunction).
//
// # What it owns
//
// A Source is a TCP client: CreateReader dials host:port (failing with
// "socket source: cannot connect to HOST:PORT: REASON"), and the reader
// splits the byte stream into records at a delimiter ("\n" by default).
// With the "\n" delimiter a trailing "\r" is stripped from each record, so
// CRLF input works. When the server closes the connection the reader emits
// the last, undelimited bytes (if any) as a final record, exactly as Flink
// does, and returns io.EOF: the input is then bounded by the connection.
//
// A record longer than the maximum record size (WithMaxRecordSize; the
// option source.max-record-size, 64 MiB by default) fails the reader with
// the address, the record's byte offset in the connection and its size
// (connector.ErrRecordTooLarge), holding at most that much and one 64 KiB
// read buffer; without a delimiter in sight the size is "more than" what
// arrived. The failure is restartable: a restart reconnects, and the
// over-long record, never replayed, is not met again.
//
// # Parallelism
//
// A socket stream cannot be split, so the source is not parallel: a
// parallelism above 1 is refused by CreateReader with an error.
//
// # Delivery guarantees and position
//
// None beyond at-most-once for the data in flight. Data read from a socket
// cannot be replayed, so the reader's position is always nil and a job
// restored from a checkpoint reconnects and reads whatever the server sends
// from then on; records the server sent before the failure that were not yet
// fully processed are lost (Flink documents the same for its socket source).
// Use it for demos and tests, not for fault-tolerant pipelines.
//
// # Batching and cancellation
//
// Fetch blocks until at least one record has arrived and then returns as
// soon as no further complete record is already buffered, so records reach
// the pipeline promptly even when cap(buf) is large. Fetch returns ctx.Err()
// promptly when its context is cancelled, even while blocked in Read: a
// context.AfterFunc watcher sets a past read deadline on the connection, and
// Fetch waits for that watcher before returning, so no goroutine outlives a
// Fetch call. Bytes of a record read before the cancellation are kept for
// the next Fetch.
package socket

// Package api holds the wire types of Weir's REST API: the JSON bodies that
// package web's server writes and that clients, the weir command's among
// them (`weir checkpoint diagnose --web`, `weir cancel`), read. Each type
// exists once, here, so that the server and its clients cannot drift apart.
//
// Paths and field names follow Apache Flink's REST API wherever the meaning
// is the same, so that scripts written for Flink read Weir's answers; each
// type's comment names the Flink class it is shaped after, and fields that
// Flink does not have are marked "Weir:". Timestamps are milliseconds since
// the epoch (-1 when unknown), durations milliseconds, sizes bytes.
//
// A failed checkpoint carries, besides Flink's failure_message text, a
// machine-readable failure_reason: one of the Reason constants, one per
// sentinel error of package checkpoint. Clients branch on the code, never
// on the words of the message.
//
// The package is plain data: it imports nothing but the standard library,
// and nothing of Weir, so that a client can use it without the engine. The
// endpoints and their fields are described in docs/rest-api.md.
package api

// Package state owns keyed state: the typed state handles user functions
// read and write (ValueState, ListState, MapState, ReducingState,
// AggregatingState), the heap backend that stores them for one keyed
// operator instance, and that backend's checkpoint snapshots and restore.
//
// # Ownership
//
// State is partitioned by key group (see internal/keygroup): the backend
// keeps one table per registered state and, inside it, one map per key
// group the subtask owns, so a snapshot or a rescale moves whole groups.
// Keys are encoded with the backend's key codec, values with the codec of
// their type from codec.For, looked up when the state is registered (a type
// without a codec fails registration with an error naming the state).
// ReducingState and AggregatingState are stored as a ValueState of the value
// or accumulator type. Values are stored as given: a value that holds
// references (slice, map, pointer) must not be modified after it was passed
// to Update, Add or Put, or taken from Value or Get; copy it first.
//
// # Concurrency
//
// A KeyedBackend and its handles belong to one subtask's goroutine. The
// operator sets the current key before calling user code; every handle reads
// and writes the entry of that key. Nothing locks. Snapshot, Restore and
// registration also run on that goroutine. A KeyedSnapshot's methods
// (WriteSections, Release, Entries) may run on any goroutine, concurrently with
// the subtask reading and writing the backend.
//
// # Snapshots: copy-on-write per key group
//
// Each table keeps each group's map in a small struct with an atomic pin
// count. Snapshot pins every group of every table (time proportional to
// tables × key groups, not to keys) and holds the structs; Release, or the
// end of a WriteSections running when Release was called, unpins them. The
// invariant: a map reachable from a pinned struct is never written. Every
// write (Update, Clear, Add, Put, Remove) first checks the pin count of its
// group (one atomic load) and, if it is not zero, clones the map
// (maps.Clone) into a fresh unpinned struct that replaces it in the table;
// the snapshot keeps the old one. Nested values follow the same rule:
//
//   - MapState: each key's inner map records the generation of the group map
//     it was created or cloned in; every clone of a group map gets a new
//     generation, so an inner map from an older generation may be shared
//     with a snapshot and is cloned on its first write.
//   - ListState: a list is never modified in place except by appending.
//     append writes at index len, beyond the length of every slice header a
//     snapshot holds (live lengths of a backing array only grow; Update and
//     Clear replace or drop the slice), so a snapshot never sees the write.
//
// The first write to a group after a Snapshot therefore costs a copy of that
// group's map: the price of a synchronous part independent of state size.
//
// # Format
//
// WriteSections writes one section per key group of the backend's range, in
// increasing order, and returns each section's offset; Restore reads the
// sections of the groups it owns. Full description: docs/state-format.md.
// uvarint is unsigned LEB128 as in internal/codec.
//
//	section   = version:byte(1) group:uvarint nstates:uvarint state* crc:u32le
//	state     = namelen:uvarint name kind:byte paylen:uvarint payload
//	kind      = 1 value | 2 list | 3 map
//	payload   = nentries:uvarint entry*        (nentries >= 1)
//	value entry = key value
//	list entry  = key n:uvarint value{n}       (n >= 1)
//	map entry   = key n:uvarint (ukey uvalue){n} (n >= 1)
//
// States appear in increasing byte order of name, only when they have
// entries in the group; entry order is unspecified. key, value, ukey and
// uvalue are the codec encodings. crc is CRC-32C (Castagnoli) of every
// preceding byte of the section, little-endian.
//
// # Restore
//
// Restore is called before any record, once per file that covers some of
// the backend's groups (several after a change of parallelism). It checks
// each section it reads and keeps the states' payloads raw; a state is
// decoded when it is registered, with its own codecs, or at once if it was
// registered before Restore. A state restored but never registered is
// written unchanged into later snapshots. A damaged section yields an error
// wrapping ErrCorruptState that names the key group; a state registered
// with another kind than it was restored with, ErrStateType.
//
// # The pebble backend
//
// NewPebbleBackend returns the same KeyedBackend type, its states stored in
// a Pebble database (github.com/cockroachdb/pebble/v2) on local disk
// instead of maps: every state handle constructor picks the table of the
// backend's kind, so operators and user functions do not know which one
// they use. It lives in this package rather than in state/pebble because
// the handles are generic over the key type and share the backend struct.
// Keys are group:u16be, name, key (and user key for MapState), so a key
// group is one contiguous range. A write-back cache of entries
// (pebblecache.go) sits in front of the database; ListState.Add appends in
// it, or merges (concatenation) in the database when the cache cannot hold
// the list. Checkpoint takes a Pebble checkpoint of hard links after
// a flush; the runtime uploads its files (incrementally when asked) and
// restores them with PebbleRestore, copying key-group ranges after a change
// of parallelism. docs/state-backends.md describes both backends for users.
//
// The heap backend has a memory budget (SetMemoryBudget): past it, writes
// fail with ErrHeapBudget naming the largest state and its estimated size.
package state

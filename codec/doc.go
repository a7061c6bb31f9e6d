// Package codec provides the binary codecs Weir uses for records travelling
// between tasks, for keys (whose bytes feed the key-group hash) and for state
// values written into checkpoints.
//
// # What the package owns
//
// The [Codec] interface (append-style Append, Decode returning the number of
// bytes consumed), the built-in codecs for basic types, the composition
// helpers [Tuple2Codec] and [Tuple3Codec], the [Provider] hook through which
// a user type brings its own codec, and [For], which picks the default codec
// of a type (Provider, built-in, encoding.Binary(Un)Marshaler, reflection).
// The wire encoding below is part of the checkpoint format: changing it breaks
// restoring old checkpoints and moves keys between key groups.
//
// # Wire encoding
//
// Values carry no type tags and no field names: the reader must use the same
// codec as the writer. Definitions used below:
//
//   - uvarint(x): x in little-endian groups of 7 bits, low group first; every
//     byte but the last has its high bit (0x80) set. At most 10 bytes. Only
//     the minimal form is accepted (no redundant trailing 0x00 group).
//   - varint(v): uvarint of the zigzag form (v<<1) ^ (v>>63), so that small
//     negative numbers are short: 0→00, -1→01, 1→02, -2→03, 64→80 01.
//
// Encoding per kind:
//
//   - bool: 1 byte, 0x00 false or 0x01 true (other bytes are corrupt).
//   - int, int8, int16, int32, int64, time.Duration: varint of the value
//     (int as 64 bits). Decoding rejects values out of the target's range.
//   - uint, uint8, uint16, uint32, uint64, uintptr: uvarint of the value.
//   - float32: 4 bytes, math.Float32bits little-endian; float64: 8 bytes,
//     math.Float64bits little-endian. All bits are kept (NaN payloads, -0).
//   - string: uvarint(byte length), then the bytes as is (not validated as
//     UTF-8).
//   - []byte, and any slice whose element kind is uint8 without a custom
//     codec: uvarint(length), then the bytes. Nil and empty both encode as
//     00 and decode as nil.
//   - [N]byte (element kind uint8 without a custom codec): the N bytes, no
//     length prefix.
//   - time.Time: varint(t.Unix()), uvarint(t.Nanosecond()) (must be below
//     1e9), varint(zone offset in seconds east of UTC, as from t.Zone()).
//     Decoding yields a time Equal to the original with the same offset; its
//     Location is time.UTC for offset 0 and an unnamed fixed zone otherwise
//     (zone names and monotonic clock readings are not kept). The zero Time
//     round-trips to the zero Time.
//   - encoding.BinaryAppender/BinaryMarshaler + BinaryUnmarshaler types
//     (methods on *T; used when T has no Provider and is not built in):
//     uvarint(payload length), then the payload.
//   - Provider types: whatever their codec writes.
//   - Tuple2Codec/Tuple3Codec: the components one after the other.
//   - named types of basic kinds (type UserID int64): as their kind.
//   - struct: the exported fields in declaration order, each encoded by its
//     own type, nothing in between. Fields tagged `codec:"-"` and blank (_)
//     fields are skipped (and decode as zero); any other unexported field
//     makes For fail. Embedded structs are encoded as one nested field.
//   - [N]T: the N elements in order, no length prefix.
//   - []T: uvarint(length), then the elements. Nil and empty both decode as
//     nil.
//   - map[K]V: uvarint(entry count), then for each entry the key followed by
//     the value. Entries are sorted by the bytes of the encoded key (ties,
//     only possible with NaN keys, by the value bytes), which makes the
//     encoding independent of insertion and iteration order. Decoding
//     rejects entries out of order and duplicate keys. Nil and empty maps
//     decode as nil. Key types with skipped fields are rejected by For.
//     Keys must encode injectively: two keys that are distinct for Go but
//     encode alike (time.Time keys for the same instant in different
//     Locations, keys with custom codecs that lose information) make an
//     encoding that Decode rejects as a duplicate. Pointer keys lose their
//     identity (they are encoded by what they point to).
//   - *T: one byte 0x00 for nil, or 0x01 followed by the encoding of *p.
//     Pointer identity and sharing are not kept (each pointer decodes to a
//     fresh allocation).
//   - func, chan, interface, complex64/128 and unsafe.Pointer kinds: not
//     supported; For returns an error wrapping [ErrUnsupported].
//
// # Invariants
//
//   - Deterministic: equal values encode to identical bytes in every process
//     and run (maps sorted as above, no pointers or addresses written).
//   - Canonical: every value has one encoding and Decode rejects any other
//     (non-minimal varints, bool bytes other than 0/1, nanoseconds >= 1e9,
//     unsorted map entries), so a successful Decode followed by Append
//     reproduces the consumed bytes exactly. (Codecs supplied by users
//     through Provider or BinaryMarshaler are outside this guarantee.)
//   - Decode never panics on bad input: it returns a *[CorruptError] that
//     wraps [ErrCorrupt] and gives the byte offset and, for reflected types,
//     the path of the failing item. Every length is checked against the
//     remaining input before anything is allocated, so a short input never
//     allocates more than a small multiple of its own size, and nesting of
//     pointers, slices and maps is bounded by [MaxDepth].
//   - No aliasing: decoded strings, slices and maps never share memory with
//     src, which callers recycle. Payloads handed to UnmarshalBinary are
//     private copies.
//   - Codecs are stateless and safe for concurrent use. Append never fails;
//     it panics only on a value nested deeper than MaxDepth (a cyclic
//     pointer graph) or when a MarshalBinary method returns an error.
//
// # Why hand-written
//
// encoding/gob writes type descriptors and is stream-stateful, encoding/json
// and encoding/binary are either slow, textual or limited to fixed-size data,
// and none of them is typed through generics, append-style, allocation-free
// on the hot path and deterministic for maps. Well-kept third-party formats
// (protobuf, msgpack, CBOR libraries) need generated code or interface{}
// round-trips and do not promise canonical map order. Records and keys are
// encoded once per event, so the built-in codecs do no reflection at all,
// and the reflection fallback compiles a per-type plan once and then walks
// raw memory.
package codec

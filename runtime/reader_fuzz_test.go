package runtime

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/operator"
)

// frame encodes records as a PartitionWriter does: each one is
// uvarint(len) | timestamp | codec bytes.
func frame(t testing.TB, recs []string, stamps []int64) []byte {
	c, err := codec.For[string]()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for i, s := range recs {
		rc := &operator.RecordContext{}
		if i < len(stamps) {
			rc.Timestamp, rc.HasTimestamp = stamps[i], true
		}
		rec := c.Append(stamp(nil, rc), s)
		out = binary.AppendUvarint(out, uint64(len(rec)))
		out = append(out, rec...)
	}
	return out
}

// stampedOutput collects records with the timestamps the reader set.
type stampedOutput struct {
	rc     *operator.RecordContext
	got    []string
	stamps []int64
}

func (s *stampedOutput) Collect(v string) error {
	s.got = append(s.got, v)
	if s.rc.HasTimestamp {
		s.stamps = append(s.stamps, s.rc.Timestamp)
	}
	return nil
}
func (s *stampedOutput) EmitWatermark(operator.Watermark) error { return nil }

// stamp frames a record's timestamp as the record writers do: uvarint 0
// for none, else zigzag(ts)+1.
func stamp(dst []byte, rc *operator.RecordContext) []byte {
	if !rc.HasTimestamp {
		return append(dst, 0)
	}
	z := uint64(rc.Timestamp<<1) ^ uint64(rc.Timestamp>>63)
	return binary.AppendUvarint(dst, z+1)
}

func newFuzzReader(t testing.TB) (*frameReader, *stampedOutput) {
	c, err := codec.For[string]()
	if err != nil {
		t.Fatal(err)
	}
	rc := &operator.RecordContext{}
	out := &stampedOutput{rc: rc}
	return &frameReader{dec: operator.TypeOf(c).NewDecoder(out, rc)}, out
}

// FuzzRecordReader feeds the network frame decoder well-formed streams cut
// into buffers at arbitrary places (every record and timestamp must come
// out as written), and arbitrary bytes (it must return ErrCorruptStream or
// wait for more, never panic or allocate without bound).
func FuzzRecordReader(f *testing.F) {
	f.Add([]byte("a\x00b"), uint8(1), int64(-5), []byte{})
	f.Add([]byte("hello\x00world\x00"), uint8(3), int64(1<<40), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{}, uint8(0), int64(0), []byte{0x80})
	f.Add([]byte("x"), uint8(7), int64(-1), []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00})
	f.Fuzz(func(t *testing.T, words []byte, cut uint8, stamp int64, junk []byte) {
		// Well-formed: the words split at NUL, the first half of them
		// stamped (frame leaves the rest without a timestamp).
		recs := slicesSplit(words)
		var stamps []int64
		for i := range recs[:len(recs)/2] {
			stamps = append(stamps, stamp-int64(i))
		}
		data := frame(t, recs, stamps)
		r, out := newFuzzReader(t)
		step := int(cut)%7 + 1
		for i := 0; i < len(data); i += step {
			if err := r.process(data[i:min(i+step, len(data))]); err != nil {
				t.Fatalf("well-formed stream cut every %d bytes: %v", step, err)
			}
		}
		if !slices.Equal(out.got, recs) || !slices.Equal(out.stamps, stamps) {
			t.Fatalf("decoded %q %v, wrote %q %v", out.got, out.stamps, recs, stamps)
		}
		if len(r.pending) != 0 {
			t.Fatalf("%d bytes left pending after whole records", len(r.pending))
		}

		// Arbitrary bytes, whole and cut.
		for _, step := range []int{len(junk) + 1, step} {
			r, _ := newFuzzReader(t)
			for i := 0; i < len(junk); i += step {
				err := r.process(junk[i:min(i+step, len(junk))])
				if err != nil {
					if !errors.Is(err, ErrCorruptStream) {
						t.Fatalf("junk gave %v, want ErrCorruptStream", err)
					}
					break
				}
			}
			if len(r.pending) > len(junk) {
				t.Fatalf("pending grew to %d bytes from %d of input", len(r.pending), len(junk))
			}
		}
	})
}

// slicesSplit splits b at NUL bytes into strings (none for empty b).
func slicesSplit(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return append(out, string(b[start:]))
}

// TestRecordReaderRefusesImpossibleLength is the case the fuzzer found
// first: a length prefix near 2^63 must be refused as corrupt, not turned
// into a negative int.
func TestRecordReaderRefusesImpossibleLength(t *testing.T) {
	for _, hdr := range [][]byte{
		binary.AppendUvarint(nil, 1<<63),
		binary.AppendUvarint(nil, operator.MaxFrameLen+1),
	} {
		r, _ := newFuzzReader(t)
		// First the header alone (it goes to pending), then more bytes.
		if err := r.process(hdr[:1]); err != nil {
			t.Fatal(err)
		}
		err := r.process(append(hdr[1:], 'x', 'y'))
		if !errors.Is(err, ErrCorruptStream) {
			t.Fatalf("length %x: got %v, want ErrCorruptStream", hdr, err)
		}
		r, _ = newFuzzReader(t)
		if err := r.process(append(hdr, 'x')); !errors.Is(err, ErrCorruptStream) {
			t.Fatalf("length %x in one buffer: got %v, want ErrCorruptStream", hdr, err)
		}
	}
}

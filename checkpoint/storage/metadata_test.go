package storage

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

var update = flag.Bool("update", false, "rewrite golden files")

// exampleCheckpoint is the small checkpoint docs/format.md draws byte by byte.
func exampleCheckpoint() *checkpoint.CompletedCheckpoint {
	ts := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return &checkpoint.CompletedCheckpoint{
		ID: 1, Job: "wc", Kind: checkpoint.KindCheckpoint, Timestamp: ts, Duration: time.Second,
		StateSize: 5, CheckpointedSize: 5,
		Properties: map[string]string{"mode": "EXACTLY_ONCE"},
		Operators: map[string]*checkpoint.OperatorState{"src": {Parallelism: 1, MaxParallelism: 128,
			Subtasks: []checkpoint.OperatorSubtaskState{{OperatorUID: "src", Subtask: 0,
				Operator: []checkpoint.OperatorStateHandle{{
					File:   checkpoint.FileRef{Size: 5, CRC32C: 0x9a71bb4c, Inline: []byte("hello")},
					States: []checkpoint.NamedListState{{Name: "offsets", Mode: checkpoint.SplitDistribute, Offsets: []int64{0}}},
				}}}}}},
		Tasks: []checkpoint.TaskAck{{Task: checkpoint.SubtaskKey{}, AckTime: ts.Add(time.Second),
			Metrics: checkpoint.SubtaskMetrics{SyncDuration: time.Millisecond, StateSize: 5, CheckpointedSize: 5}}},
	}
}

// pebbleExample adds a keyed state handle of the pebble format, with an
// exclusive and a shared file, to the example.
func pebbleExample() *checkpoint.CompletedCheckpoint {
	cp := exampleCheckpoint()
	cp.Operators["sum"] = &checkpoint.OperatorState{Parallelism: 1, MaxParallelism: 128,
		Subtasks: []checkpoint.OperatorSubtaskState{{OperatorUID: "sum", Subtask: 0,
			Keyed: []checkpoint.KeyedStateHandle{{KeyGroups: checkpoint.KeyGroupRange{Start: 0, End: 128},
				Format: checkpoint.FormatPebble, Files: []checkpoint.NamedFile{
					{Name: "000005.sst", File: checkpoint.FileRef{Path: "shared/sum-0-c1-000005.sst", Size: 1000, CRC32C: 7}},
					{Name: "MANIFEST-000001", File: checkpoint.FileRef{Path: "chk-1/sum-0-db/MANIFEST-000001", Size: 90, CRC32C: 8}},
				}}}}}}
	return cp
}

// TestMetadataGoldenV1 pins format version 1, which this build still reads:
// the golden bytes decode to the example.
func TestMetadataGoldenV1(t *testing.T) {
	dump, err := os.ReadFile("testdata/metadata-v1.hex")
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeMetadata(undump(t, string(dump)))
	if err != nil {
		t.Fatal(err)
	}
	if cp := exampleCheckpoint(); !reflect.DeepEqual(back, cp) {
		t.Fatalf("decode:\ngot  %+v\nwant %+v", back, cp)
	}
}

// TestMetadataGolden pins format version 2: the example (with a pebble
// handle) must encode to the golden bytes and decode back. Run with -update
// after a deliberate change (and bump the version).
func TestMetadataGolden(t *testing.T) {
	const golden = "testdata/metadata-v2.hex"
	cp := pebbleExample()
	got := EncodeMetadata(cp)
	if *update {
		if err := os.WriteFile(golden, []byte(hex.Dump(got)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dump, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := undump(t, string(dump))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n%s\nwant:\n%s", hex.Dump(got), dump)
	}
	back, err := DecodeMetadata(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cp) {
		t.Fatalf("decode:\ngot  %+v\nwant %+v", back, cp)
	}
}

// undump reads the output of hex.Dump back.
func undump(t *testing.T, dump string) []byte {
	var out []byte
	for _, line := range strings.Split(strings.TrimSpace(dump), "\n") {
		if len(line) < 60 {
			t.Fatalf("bad dump line %q", line)
		}
		b, err := hex.DecodeString(strings.ReplaceAll(line[10:58], " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestMetadataRoundTripEdgeCases(t *testing.T) {
	for name, cp := range map[string]*checkpoint.CompletedCheckpoint{
		"minimal": {ID: 1, Properties: map[string]string{}, Operators: map[string]*checkpoint.OperatorState{}, Tasks: []checkpoint.TaskAck{}},
		"savepoint with zero times and big numbers": {ID: 1 << 62, Kind: checkpoint.KindSavepoint, Job: strings.Repeat("j", 300),
			StateSize: 1 << 50, Duration: -1, Properties: map[string]string{"": ""},
			Operators: map[string]*checkpoint.OperatorState{"op": {Parallelism: 1 << 20, Subtasks: []checkpoint.OperatorSubtaskState{
				{OperatorUID: "op", Subtask: 1 << 20,
					Keyed:    []checkpoint.KeyedStateHandle{{KeyGroups: checkpoint.KeyGroupRange{Start: 5, End: 7}, File: checkpoint.FileRef{Path: "shared/x", Size: 9, CRC32C: 0xffffffff}, Offsets: []int64{0, 1 << 40}}},
					InFlight: []checkpoint.FileRef{{Path: "chk-1/inflight", Size: 0}, {Inline: []byte{}}}},
			}}},
			Tasks: []checkpoint.TaskAck{}},
	} {
		got, err := DecodeMetadata(EncodeMetadata(cp))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, cp) {
			t.Fatalf("%s:\ngot  %+v\nwant %+v", name, got, cp)
		}
	}
}

func TestMetadataVersion(t *testing.T) {
	data := EncodeMetadata(exampleCheckpoint())
	data[5] = 3
	if _, err := DecodeMetadata(data); !errors.Is(err, ErrUnsupportedVersion) || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("version 3: %v", err)
	}
}

// FuzzDecodeMetadata: no input makes the decoder panic or allocate wildly,
// and whatever it accepts encodes back to the same bytes.
func FuzzDecodeMetadata(f *testing.F) {
	f.Add(EncodeMetadata(exampleCheckpoint()))
	f.Add(EncodeMetadata(pebbleExample()))
	f.Add(EncodeMetadata(&checkpoint.CompletedCheckpoint{ID: 3}))
	f.Add([]byte("WCKP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := DecodeMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("error wraps neither ErrCorrupt nor ErrUnsupportedVersion: %v", err)
			}
			return
		}
		if again := EncodeMetadata(cp); !bytes.Equal(again, data) {
			// Varints have one canonical form only when minimal; a
			// non-minimal varint that passes the CRC is still accepted.
			if _, err := DecodeMetadata(again); err != nil {
				t.Fatalf("re-encoding does not decode: %v", err)
			}
		}
	})
}

// The fuzz seeds also run, with the CRC fixed up, through the body decoder:
// mutations inside a body with a valid checksum reach the field decoders.
func FuzzDecodeMetadataBody(f *testing.F) {
	body := EncodeMetadata(exampleCheckpoint())
	f.Add(body[headerLen : len(body)-trailerLen])
	f.Add([]byte{0x02, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		data := frame(b)
		if _, err := DecodeMetadata(data); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

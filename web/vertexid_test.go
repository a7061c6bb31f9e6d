package web

import "testing"

// The vectors are Guava's Hashing.murmur3_128(seed), which Flink uses for
// user-specified operator UIDs.
func TestMurmur3(t *testing.T) {
	for _, tc := range []struct {
		in     string
		seed   uint64
		h1, h2 uint64
	}{
		{"The quick brown fox jumps over the lazy dog", 0, 0xe34bbc7bbc071b6c, 0x7a433ca9c49a9347},
		{"hell", 0, 0x629942693e10f867, 0x92db0b82baeb5347},
		{"hello", 1, 0xa78ddff5adae8d10, 0x128900ef20900135},
		{"", 0, 0, 0},
	} {
		h1, h2 := murmur3x64_128([]byte(tc.in), tc.seed)
		if h1 != tc.h1 || h2 != tc.h2 {
			t.Errorf("murmur3(%q, %d) = %x %x, want %x %x", tc.in, tc.seed, h1, h2, tc.h1, tc.h2)
		}
	}
	if got, want := VertexID("The quick brown fox jumps over the lazy dog"), "6c1b07bc7bbc4be347939ac4a93c437a"; got != want {
		t.Errorf("VertexID = %s, want %s", got, want)
	}
}

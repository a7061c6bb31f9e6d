package weir

import (
	"encoding/binary"

	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/operator"
)

// The operators are generic, so the Go compiler compiles their methods in
// the package that instantiates them: the user's job, which imports this
// package and not operator, state or internal/keygroup. There a small
// non-generic helper those methods call (TimeWindow.MaxTimestamp on every
// record of a window) is inlined only if its body is in this package's
// export data, and the compiler puts an imported function's body there only
// when this package inlines it somewhere (cmd/compile/internal/noder,
// linker.exportBody, "declared in this package or we inlined it somewhere
// in this package"). Without it every window record paid several calls
// that it did not pay when the operators lived in this package.
//
// inlineHelpers is never called: its body inlines, once, each helper that
// the record path of the operators and the key-by exchange calls, so that
// the user's package can inline them too. TestUserPackageInlinesHelpers in
// internal/lint fails when one of them is called instead.
var _ = inlineHelpers

func inlineHelpers(w operator.TimeWindow, a operator.Assigner, t operator.Trigger, r keygroup.Range, key []byte) int64 {
	_, _ = t.Domain()
	var n operator.NoLifecycle
	if n.Open() != nil || n.Finish() != nil || n.Close() != nil {
		return 0
	}
	if a.Merging() || a.FixedSize() || r.Contains(r.Len()) {
		return 0
	}
	g := keygroup.SubtaskFor(keygroup.Of(key, 128), 128, 1)
	// A record writer frames each record's timestamp with one, a record
	// decoder reads it with the other.
	if _, n := binary.Uvarint(binary.AppendUvarint(key, 1)); n <= 0 {
		return 0
	}
	return operator.SaturatingAdd(w.MaxTimestamp(), int64(g))
}

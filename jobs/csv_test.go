package jobs

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// CSVField quotes a field exactly as encoding/csv's Writer does, and a
// record of quoted fields reads back as the fields.
func TestCSVFieldMatchesEncodingCSV(t *testing.T) {
	for _, w := range []string{
		"job", "job,", ",", ",,", `"`, `say "hi"`, `a"b,c`, "x\ry", "x\ny", " lead", "\tlead", `\.`, `\.x`,
		"trail ", "héllo", "日本,語", "", "'", "a;b", "1,2,3",
	} {
		var b bytes.Buffer
		cw := csv.NewWriter(&b)
		if err := cw.Write([]string{w, "1"}); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		want := strings.TrimSuffix(b.String(), "\n")
		got := CSVField(w) + ",1"
		if got != want {
			t.Errorf("CSVField(%q)+\",1\" = %q, encoding/csv writes %q", w, got, want)
		}
		if strings.Contains(w, "\r") {
			continue // encoding/csv's Reader turns \r\n inside quotes into \n
		}
		rec, err := csv.NewReader(strings.NewReader(got + "\n")).Read()
		if err != nil || len(rec) != 2 || rec[0] != w {
			t.Errorf("%q reads back as %q, %v; want [%q 1]", got, rec, err, w)
		}
	}
}

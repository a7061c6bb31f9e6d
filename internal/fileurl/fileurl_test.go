package fileurl

import (
	"net/url"
	"testing"
)

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"file:///data/out", "/data/out", true},
		{"file://localhost/data/out", "/data/out", true},
		{"file://./rel/out", "rel/out", true},
		{"file://host/data", "", false},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := Path(u); got != tc.want || ok != tc.ok {
			t.Errorf("Path(%s) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

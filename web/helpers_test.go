package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
)

// client talks to a running server and decodes its JSON.
type client struct {
	t    *testing.T
	base string // http://127.0.0.1:port, no trailing slash
	hc   *http.Client
}

func newClient(t *testing.T, base string) *client {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return &client{t: t, base: strings.TrimSuffix(base, "/"), hc: hc}
}

func (c *client) do(method, path string) (int, []byte) {
	c.t.Helper()
	return c.send(method, path, "", "")
}

// post sends body (none when empty) with contentType (none when empty) and
// returns the status and the body of the answer.
func (c *client) post(path, contentType, body string) (int, []byte) {
	c.t.Helper()
	return c.send(http.MethodPost, path, contentType, body)
}

func (c *client) send(method, path, contentType, body string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get fetches path, wants 200, and decodes the object.
func (c *client) get(path string) map[string]any {
	c.t.Helper()
	code, b := c.do(http.MethodGet, path)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, code, b)
	}
	return decode(c.t, b)
}

// wantError sends a request and wants status and a Flink-style error body.
func (c *client) wantError(method, path string, status int, says string) {
	c.t.Helper()
	code, b := c.do(method, path)
	if code != status {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, status, b)
	}
	errs := arr(c.t, decode(c.t, b)["errors"])
	if len(errs) != 1 || !strings.Contains(errs[0].(string), says) {
		c.t.Fatalf("%s %s: errors %v do not say %q", method, path, errs, says)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v (%T) is not an object", v, v)
	}
	return m
}

func arr(t *testing.T, v any) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not an array", v, v)
	}
	return a
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return f
}

// hasKeys checks that m has every key.
func hasKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q; it has %v", what, k, keysOf(m))
		}
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// eventually awaits cond for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Await(t, d, cond, func() string { return "waiting for " + what })
}

// rawGet sends target exactly as written (no client-side cleaning) and
// returns the status and body.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

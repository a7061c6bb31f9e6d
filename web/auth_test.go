package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/web"
)

// TestCancelNeedsToken (issue 11 item 12): with a bearer token configured,
// cancel without the token or with a wrong one is 401 with a
// WWW-Authenticate challenge and the job keeps running; with the token it
// is 202; reading stays open. Without a token, cancel needs none.
func TestCancelNeedsToken(t *testing.T) {
	job := fixture()
	ts := httptest.NewServer(web.NewServer(web.Options{AuthToken: "s3cret"}, job).Handler())
	t.Cleanup(ts.Close)
	cancel := ts.URL + "/jobs/" + job.id + "?mode=cancel"
	send := func(method, url, auth string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b), resp.Header
	}
	for _, tc := range []struct {
		name, auth, says string
	}{
		{"no token", "", "Unauthorized: PATCH /jobs/" + job.id + " carries no bearer token; this server requires the token of rest.auth.token(-file) as \\\"Authorization: Bearer TOKEN\\\" (weir cancel --token-file FILE)."},
		{"wrong token", "Bearer guess", "carries a wrong bearer token"},
		{"token as basic auth", "Basic czNjcmV0", "carries no bearer token"},
		{"token prefix", "Bearer s3cre", "carries a wrong bearer token"},
	} {
		code, body, h := send(http.MethodPatch, cancel, tc.auth)
		if code != http.StatusUnauthorized || !strings.Contains(body, tc.says) || h.Get("WWW-Authenticate") != `Bearer realm="weir"` {
			t.Errorf("%s: %d %s (WWW-Authenticate %q); want 401 saying %q", tc.name, code, body, h.Get("WWW-Authenticate"), tc.says)
		}
	}
	if cancels(job) != 0 {
		t.Fatalf("job cancelled %d times by unauthorized requests", cancels(job))
	}
	if code, body, _ := send(http.MethodGet, ts.URL+"/jobs/"+job.id, ""); code != http.StatusOK {
		t.Errorf("GET without a token: %d %s; reading stays open", code, body)
	}
	if code, body, _ := send(http.MethodGet, ts.URL+"/metrics", ""); code != http.StatusOK {
		t.Errorf("GET /metrics without a token: %d %s", code, body)
	}
	if code, body, _ := send(http.MethodPatch, cancel, "Bearer s3cret"); code != http.StatusAccepted || cancels(job) != 1 {
		t.Fatalf("PATCH with the token: %d %s, cancelled %d times; want 202 and one cancel", code, body, cancels(job))
	}

	open := fixture()
	c := fakeServer(t, open)
	if code, b := c.do(http.MethodPatch, "/jobs/"+open.id+"?mode=cancel"); code != http.StatusAccepted {
		t.Fatalf("PATCH without a configured token: %d %s", code, b)
	}
}

// TestExposedBindWarns (issue 11 item 12): listening beyond loopback logs
// the real address and, while cancel needs no token, a warning saying what
// to do; loopback logs nothing.
func TestExposedBindWarns(t *testing.T) {
	for _, tc := range []struct {
		name, addr, token, cancel string
		want                      string // "" for no line
	}{
		{"loopback", "127.0.0.1:0", "", "true", ""},
		{"all interfaces", "0.0.0.0:0", "", "true",
			`level=WARN msg="REST API reachable from other hosts: anyone who can reach it can cancel the job; require a token with -D rest.auth.token-file=FILE (weir cancel --token-file FILE sends it), disable cancel with -D web.cancel.enable=false, or bind to 127.0.0.1" addr="0.0.0.0:`},
		{"all interfaces with a token", "0.0.0.0:0", "t", "true",
			`level=INFO msg="REST API reachable from other hosts: cancel requires the bearer token; reading is open" addr="0.0.0.0:`},
		{"all interfaces, cancel disabled", "0.0.0.0:0", "", "false",
			`level=INFO msg="REST API reachable from other hosts: cancel is disabled; reading is open" addr="0.0.0.0:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testutil.LockedBuffer
			cfg := config.New()
			if err := cfg.Set("web.cancel.enable", tc.cancel); err != nil {
				t.Fatal(err)
			}
			srv := web.NewServer(web.Options{Config: cfg, AuthToken: tc.token, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, fixture())
			if err := srv.Start(tc.addr); err != nil {
				t.Fatal(err)
			}
			defer srv.Shutdown(context.Background())
			got := logs.String()
			if tc.want == "" {
				if got != "" {
					t.Fatalf("logged %q", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || strings.Count(got, "\n") != 1 {
				t.Fatalf("logged %q\nwant one line containing %q", got, tc.want)
			}
		})
	}
}

func cancels(f *fakeJob) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.canceled
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/web"
)

// checkWeb refuses a malformed --web, or --web with --no-web.
func (f *commonFlags) checkWeb() error {
	if f.web == "" {
		return nil
	}
	if f.noWeb {
		return usageError{errors.New("--web and --no-web exclude each other")}
	}
	_, port, err := net.SplitHostPort(f.web)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return usageError{fmt.Errorf("--web %q: want HOST:PORT, e.g. 127.0.0.1:8081 (port 0: any free port)", f.web)}
	}
	return nil
}

// startWeb serves the REST API, metrics and dashboard of env's job, unless
// --no-web, until stop is called. An address that cannot be listened on is
// one warning: the job runs without them.
func startWeb(env *weir.Environment, f commonFlags, logger *slog.Logger) (stop func()) {
	if f.noWeb {
		return func() {}
	}
	addr := f.web
	if addr == "" {
		addr = web.ListenAddress(env.Config())
	}
	srv := web.NewServer(web.Options{Config: env.Config(), Version: version, Logger: logger}, env.Job())
	if err := srv.Start(addr); err != nil {
		logger.Warn("web dashboard not started; the job runs without it", "addr", addr, "err", err)
		return func() {}
	}
	logger.Info("web dashboard", "url", srv.URL())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			logger.Warn("web dashboard shut down with requests unfinished", "err", err)
		}
	}
}

func newCancelCmd() *cobra.Command {
	c := config.New()
	base := "http://" + net.JoinHostPort(config.Get(c, config.RestAddress), strconv.Itoa(config.Get(c, config.RestPort)))
	cmd := &cobra.Command{
		Use:   "cancel JOBID",
		Short: "Cancel a running job through its REST API",
		Long: "Cancel a running job: PATCH /jobs/JOBID?mode=cancel on the REST API that `weir run` serves, then " +
			"wait up to 10 s for the job to end. JOBID is the job's ID, 32 hexadecimal digits (GET /jobs lists them).",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("%s takes one argument, JOBID (got %d)", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cancelJob(cmd.Context(), cmd.OutOrStdout(), base, args[0])
		},
	}
	cmd.Flags().StringVar(&base, "web", base, "the REST API of the running job, http://HOST:PORT")
	return cmd
}

// cancelJob cancels job id through the REST API at base and reports how the
// job ended.
func cancelJob(ctx context.Context, out io.Writer, base, id string) error {
	id = strings.ToLower(id)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return usageError{fmt.Errorf("JOBID %q: want 32 hexadecimal digits", id)}
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base, err := restBase(base)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	status, body, err := webCall(ctx, hc, http.MethodPatch, base+"/jobs/"+id+"?mode=cancel")
	if err != nil {
		return err
	}
	if status != http.StatusAccepted {
		return errors.New(webMessage(status, body))
	}
	// Cancelling is asynchronous: wait for the job to end. The server ends
	// with the job, so an unreachable server means it has.
	state := "CANCELLING"
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		status, body, err := webCall(ctx, hc, http.MethodGet, base+"/jobs/"+id)
		if err != nil {
			state = weir.StateCanceled
			break
		}
		var j struct {
			State string `json:"state"`
		}
		if status == http.StatusOK && json.Unmarshal(body, &j) == nil {
			state = j.State
		}
		if state == weir.StateCanceled || state == weir.StateFailed || state == weir.StateFinished {
			break
		}
	}
	if state == weir.StateCanceled {
		fmt.Fprintf(out, "Cancelled job %s.\n", id)
	} else {
		fmt.Fprintf(out, "Cancellation of job %s requested; it is %s.\n", id, state)
	}
	return nil
}

// restBase checks the URL of a REST API given with --web and returns it
// without query, fragment or trailing slash, ready for paths to be added.
func restBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError{fmt.Errorf("--web %s: want http://HOST:PORT", raw)}
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// webCall sends a request to the REST API and reads its answer, up to
// 64 MiB.
func webCall(ctx context.Context, hc *http.Client, method, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot reach the REST API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	return resp.StatusCode, body, nil
}

// serverErrors is the server's own words for a refusal, from Flink's
// {"errors": [...]}; "" when the body holds none.
func serverErrors(body []byte) string {
	var e struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		return strings.Join(e.Errors, "; ")
	}
	return ""
}

// webMessage is the server's own words for a refusal, else the status.
func webMessage(status int, body []byte) string {
	if msg := serverErrors(body); msg != "" {
		return msg
	}
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}

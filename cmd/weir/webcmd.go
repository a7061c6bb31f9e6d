package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cli"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/web/api"
)

func newCancelCmd() *cobra.Command {
	c := config.New()
	base := "http://" + net.JoinHostPort(config.Get(c, config.RestAddress), strconv.Itoa(config.Get(c, config.RestPort)))
	var tokenFile string
	cmd := &cobra.Command{
		Use:   "cancel JOBID",
		Short: "Cancel a running job through its REST API",
		Long: "Cancel a running job: PATCH /jobs/JOBID?mode=cancel on the REST API that `weir run` serves, then " +
			"wait up to 10 s for the job to end. JOBID is the job's ID, 32 hexadecimal digits (GET /jobs lists them). " +
			"When the job requires a REST token (rest.auth.token or rest.auth.token-file), give the same token with " +
			"--token-file FILE or in the environment variable " + tokenEnv + ".",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.Usage(fmt.Errorf("%s takes one argument, JOBID (got %d)", cmd.CommandPath(), len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := cancelToken(tokenFile)
			if err != nil {
				return cli.Usage(err)
			}
			return cancelJob(cmd.Context(), cmd.OutOrStdout(), base, args[0], token)
		},
	}
	cmd.Flags().StringVar(&base, "web", base, "the REST API of the running job, http://HOST:PORT")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "a file holding the job's REST token (rest.auth.token-file); default: $"+tokenEnv)
	return cmd
}

// tokenEnv is the environment variable weir cancel takes the REST token
// from when --token-file is not given.
const tokenEnv = "WEIR_REST_AUTH_TOKEN"

// cancelToken is the bearer token weir cancel sends: the content of file
// (white space trimmed), else $WEIR_REST_AUTH_TOKEN, else none.
func cancelToken(file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv(tokenEnv)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--token-file %s is empty: write the job's REST token into it", file)
	}
	return tok, nil
}

// cancelJob cancels job id through the REST API at base, sending token as
// a bearer token when not empty, and reports how the job ended.
func cancelJob(ctx context.Context, out io.Writer, base, id, token string) error {
	id = strings.ToLower(id)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return cli.Usage(fmt.Errorf("JOBID %q: want 32 hexadecimal digits", id))
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base, err := restBase(base)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	status, body, err := webCallAuth(ctx, hc, http.MethodPatch, base+"/jobs/"+id+"?mode=cancel", token)
	if err != nil {
		return err
	}
	if status == http.StatusUnauthorized {
		if token == "" {
			return fmt.Errorf("the job at %s requires a REST token: give it with --token-file FILE or $%s", base, tokenEnv)
		}
		return fmt.Errorf("the job at %s refused the REST token given: give the job's rest.auth.token with --token-file FILE or $%s", base, tokenEnv)
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
		var j api.JobDetails
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
		return "", cli.Usage(fmt.Errorf("--web %s: want http://HOST:PORT", raw))
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// webCall sends a request to the REST API and reads its answer, up to
// 64 MiB.
func webCall(ctx context.Context, hc *http.Client, method, u string) (int, []byte, error) {
	return webCallAuth(ctx, hc, method, u, "")
}

// webCallAuth is webCall with a bearer token, when token is not empty.
func webCallAuth(ctx context.Context, hc *http.Client, method, u, token string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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
	var e api.ErrorResponse
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

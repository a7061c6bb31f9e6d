package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The chaos tests of changed input (issue 11 item 4), over-long records
// (item 10) and an exposed REST API (item 12).

// inputRefusal checks that r is the loud refusal of a changed input file:
// exit 2, and a last line naming the file and the words of what changed.
func inputRefusal(r result, says ...string) bool {
	last := lastLine(r.stderr)
	if r.code != 2 || !strings.HasPrefix(last, "weir: job wordcount failed: ") {
		return false
	}
	for _, s := range says {
		if !strings.Contains(last, s) {
			return false
		}
	}
	return true
}

// TestChaosInputChanged (11.4): a word count over three files is killed
// after checkpoints; then the file being read is truncated, rewritten in
// place (same size, other bytes), or appended to, and the job is resumed
// with --from-checkpoint latest. Truncated and rewritten input is refused
// with exit 2 and one line naming the file, the offset and what changed
// (before: the truncated file read nothing and the job exited 0); appended
// input is read on, and the output is exact for the grown input.
func TestChaosInputChanged(t *testing.T) {
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		for _, change := range []string{"truncated", "rewritten", "appended"} {
			c := killAfterCheckpoints(t, 1, 2)
			big := filepath.Join("in", "in-2.txt") // the file being read: the first two hold a line each
			path := filepath.Join(c.dir, big)
			want := c.want
			switch change {
			case "truncated":
				if err := os.Truncate(path, 100); err != nil {
					t.Fatal(err)
				}
			case "rewritten":
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				b[0] = 'W' // "w3 ..." becomes "W3 ...": same size, other words
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			case "appended":
				want = map[string]int64{}
				for w, n := range c.want {
					want[w] = n
				}
				f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 50; i++ {
					fmt.Fprintf(f, "appended%d common\n", i%7)
					want[fmt.Sprintf("appended%d", i%7)]++
					want["common"]++
				}
				f.Close()
			}
			o.Tried++
			r := runWeirIn(t, c.dir, "", append(append([]string{}, c.common...), "-p", "1", "--from-checkpoint", "latest")...)
			switch change {
			case "truncated":
				if inputRefusal(r, "file source: input "+big+" changed since the checkpoint: the checkpoint resumes it at byte ",
					", but it is now 100 bytes long: it was truncated or replaced; restore the file as it was, or start afresh without --from-checkpoint") {
					o.Survived++
				} else {
					o.Lost++ // the rest of the file would be skipped
					t.Errorf("truncated input: exit %d, last line %q", r.code, lastLine(r.stderr))
				}
			case "rewritten":
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				head := fmt.Sprintf("but its first %d bytes differ from those the checkpoint read: it was replaced or rewritten", min(fi.Size(), 64<<10))
				if inputRefusal(r, "file source: input "+big+" changed since the checkpoint", head) {
					o.Survived++
				} else {
					o.Lost++
					t.Errorf("rewritten input: exit %d, last line %q", r.code, lastLine(r.stderr))
				}
			case "appended":
				if r.code != 0 {
					t.Errorf("appended input: exit %d, last line %q", r.code, lastLine(r.stderr))
					continue
				}
				lost, dup := lostAndDuplicated(t, filepath.Join(c.dir, "out"), want)
				o.add(true, lost, dup)
			}
		}
	}
	o.Note = "truncated and rewritten refused (exit 2), appended read exactly"
	chaosReport(t, "11.4", "input file truncated, rewritten or appended before resume", o)
}

// TestChaosInputTruncatedWhileRead (11.4): a throttled word count of one
// file with checkpoints and restarts allowed; the file is truncated while
// it is read. The job fails at once with exit 2 and one line (not
// restarted: the restored checkpoint would meet the same file), instead of
// ending early with exit 0 and the rest lost.
func TestChaosInputTruncatedWhileRead(t *testing.T) {
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		dir := t.TempDir()
		text, _ := corpus(3000)
		if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p := start(t, dir, "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "--rate", "3000",
			"-D", "execution.checkpointing.interval=100ms", "-D", "restart-strategy.type=fixed-delay",
			"-D", "restart-strategy.fixed-delay.attempts=3", "-D", "restart-strategy.fixed-delay.delay=10ms")
		p.await(t, "a completed checkpoint", func(_, errs []string) bool { return completed(errs) >= 1 })
		if err := os.Truncate(filepath.Join(dir, "in.txt"), 1000); err != nil {
			t.Fatal(err)
		}
		o.Tried++
		<-p.done
		p.mu.Lock()
		errs := strings.Join(p.err, "\n")
		last := p.err[len(p.err)-1]
		p.mu.Unlock()
		if p.code == 2 && strings.HasPrefix(last, "weir: job wordcount failed: ") &&
			strings.Contains(last, "file source: input in.txt changed while being read: ") &&
			strings.Contains(last, "bytes were read, but it is now 1000 bytes long: it was truncated, so the rest cannot be read as it was; restore the file and resume from the last checkpoint (--from-checkpoint latest), or start afresh") &&
			!strings.Contains(errs, "restarting job") {
			o.Survived++
		} else {
			o.Lost++
			t.Errorf("truncated while read: exit %d, stderr:\n%s", p.code, errs)
		}
	}
	o.Note = "refused at the file's end, exit 2, not restarted"
	chaosReport(t, "11.4", "input file truncated while being read", o)
}

// TestChaosRecordTooLarge (11.10): a socket peer sends a 200 MiB line, and a
// file holds a 20 MiB line, with source.max-record-size 1 MiB. Each fails
// the job with the source, the offset and the size named, and the process
// stays small (before: the socket line took RSS to 3.4 GB). The file's line
// is not retried (exit 2; a restart would read it again); the socket's
// fails the job like any source failure (exit 1 here, restarts not
// configured).
func TestChaosRecordTooLarge(t *testing.T) {
	const rssLimit = 400 << 20 // the -race binary's own footprint is ~100-200 MiB
	var o chaosOutcome
	var peak int64
	for round := 0; round < *chaosRounds; round++ {
		// The socket: "hello world\n", then 200 MiB without a line end.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sent := make(chan int64, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				sent <- 0
				return
			}
			defer c.Close()
			n, _ := io.WriteString(c, "hello world\n")
			chunk := []byte(strings.Repeat("x", 1<<20))
			for i := 0; i < 200; i++ {
				m, err := c.Write(chunk)
				n += m
				if err != nil {
					break // weir gave up and closed the connection
				}
			}
			sent <- int64(n)
		}()
		o.Tried++
		r := runWeirIn(t, t.TempDir(), "", "run", "wordcount", "--no-web", "--input", "socket://"+ln.Addr().String(),
			"--output", "-", "-D", "source.max-record-size=1mb")
		ln.Close()
		<-sent
		peak = max(peak, r.peakRSS)
		last := lastLine(r.stderr)
		if r.code == 1 && strings.Contains(last, "socket source "+ln.Addr().String()+": record too large: the record at byte 12 of the connection is more than ") &&
			strings.Contains(last, "long, over source.max-record-size (1.0 MiB): raise it (e.g. -D source.max-record-size=") && r.peakRSS < rssLimit {
			o.Survived++
		} else {
			t.Errorf("socket: exit %d, peak RSS %d MiB, last line %q", r.code, r.peakRSS>>20, last)
		}

		// The file: a 20 MiB line between two short ones, restarts allowed.
		dir := t.TempDir()
		line := strings.Repeat("y", 20<<20)
		if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("hello world\n"+line+"\nbye\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o.Tried++
		r = runWeirIn(t, dir, "", "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "-",
			"-D", "source.max-record-size=1mb", "-D", "execution.checkpointing.interval=100ms",
			"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=3", "-D", "restart-strategy.fixed-delay.delay=10ms")
		peak = max(peak, r.peakRSS)
		last = lastLine(r.stderr)
		want := "file source: in.txt: the line at byte 12 is 20971520 bytes (20.0 MiB) long, over source.max-record-size (1.0 MiB): " +
			"raise it (e.g. -D source.max-record-size=32mb) if such lines are expected, or fix the file; not restarted, since a restart would read the same line"
		if r.code == 2 && strings.HasSuffix(last, want) && !strings.Contains(r.stderr, "restarting job") && r.peakRSS < rssLimit {
			o.Survived++
		} else {
			t.Errorf("file: exit %d, peak RSS %d MiB, stderr:\n%s", r.code, r.peakRSS>>20, r.stderr)
		}
	}
	o.Note = fmt.Sprintf("refused with source, offset and size; peak RSS %d MiB", peak>>20)
	chaosReport(t, "11.10", "200 MiB socket record, 20 MiB file line (max 1 MiB)", o)
}

// TestChaosRESTExposed (11.12): a job listening on all interfaces with a
// REST token gets cancel requests without the token and with a wrong one;
// they are refused (weir cancel exits 1 saying what to give) and the job
// runs on; with --token-file the cancel succeeds. Without a token the run
// logs a warning with the real address; an unreadable token file refuses
// the run (exit 2).
func TestChaosRESTExposed(t *testing.T) {
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { // one connection, held open until weir closes it
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "to be or not to be\n")
			io.Copy(io.Discard, c)
		}()
		dir := t.TempDir()
		tokenFile := filepath.Join(dir, "token")
		if err := os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		p := start(t, dir, "run", "wordcount", "--input", "socket://"+ln.Addr().String(), "--output", "discard",
			"--web", "0.0.0.0:0", "-D", "rest.auth.token-file=token")
		var port string
		p.await(t, "the exposure line", func(_, errs []string) bool {
			for _, l := range errs {
				if _, after, ok := strings.Cut(l, `level=INFO msg="REST API reachable from other hosts: cancel requires the bearer token; reading is open" addr="0.0.0.0:`); ok {
					port, _, _ = strings.Cut(after, " ")
					return true
				}
			}
			return false
		})
		base := "http://127.0.0.1:" + port
		id := jobID(t, base)

		o.Tried++
		noToken := runWeir(t, "", "cancel", id, "--web", base)
		cmd := exec.Command(weirBin, "cancel", id, "--web", base)
		cmd.Env = append(os.Environ(), "WEIR_REST_AUTH_TOKEN=guess")
		out, _ := cmd.CombinedOutput()
		wrongCode := cmd.ProcessState.ExitCode()
		running := true
		select {
		case <-p.done:
			running = false
		default:
		}
		withToken := runWeir(t, "", "cancel", id, "--web", base, "--token-file", tokenFile)
		if noToken.code == 1 && lastLine(noToken.stderr) == "weir: the job at "+base+" requires a REST token: give it with --token-file FILE or $WEIR_REST_AUTH_TOKEN" &&
			wrongCode == 1 && strings.TrimSpace(string(out)) == "weir: the job at "+base+" refused the REST token given: give the job's rest.auth.token with --token-file FILE or $WEIR_REST_AUTH_TOKEN" &&
			running && withToken.code == 0 && withToken.stdout == "Cancelled job "+id+".\n" {
			o.Survived++
		} else {
			t.Errorf("without token: %+v; wrong token: exit %d %q; running after both: %v; with token: %+v", noToken, wrongCode, out, running, withToken)
		}
		<-p.done
		ln.Close()

		// No token: the warning, with the real address.
		o.Tried++
		in := filepath.Join(dir, "in.txt")
		if err := os.WriteFile(in, []byte("a b a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runWeirIn(t, dir, "", "run", "wordcount", "--input", "in.txt", "--output", "discard", "--web", "0.0.0.0:0")
		if r.code == 0 && strings.Contains(r.stderr, `level=WARN msg="REST API reachable from other hosts: anyone who can reach it can cancel the job; `+
			`require a token with -D rest.auth.token-file=FILE (weir cancel --token-file FILE sends it), disable cancel with -D web.cancel.enable=false, or bind to 127.0.0.1" addr="0.0.0.0:`) {
			o.Survived++
		} else {
			t.Errorf("exposed without a token: %+v", r)
		}

		// A token file that cannot be read refuses the run: nothing is
		// served unprotected.
		o.Tried++
		r = runWeirIn(t, dir, "", "run", "wordcount", "--input", "in.txt", "--output", "discard", "-D", "rest.auth.token-file=missing")
		if r.code == 2 && lastLine(r.stderr) == "weir: rest.auth.token-file: cannot read the REST token: open missing: no such file or directory" {
			o.Survived++
		} else {
			t.Errorf("unreadable token file: %+v", r)
		}
	}
	o.Note = "unauthorized cancels refused, job kept running"
	chaosReport(t, "11.12", "cancel without or with a wrong REST token", o)
}

// jobID reads the one job's ID from the REST API at base.
func jobID(t *testing.T, base string) string {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(base + "/jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jobs struct {
		Jobs []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&jobs); err != nil || len(jobs.Jobs) != 1 || len(jobs.Jobs[0].ID) != 32 {
		t.Fatalf("GET /jobs: %v %+v", err, jobs)
	}
	return jobs.Jobs[0].ID
}

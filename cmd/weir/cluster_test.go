package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
)

var listeningRE = regexp.MustCompile(`msg="job manager listening for task managers" address=(\S+)`)

// startJobManager starts `weir jobmanager ARGS` on a free control port and
// returns it with the address task managers register at.
func startJobManager(t *testing.T, dir string, args ...string) (*proc, string) {
	t.Helper()
	jm := start(t, dir, append([]string{"jobmanager"}, append(args, "-D", "jobmanager.rpc.port=0")...)...)
	var addr string
	jm.await(t, "the job manager's address", func(_, errs []string) bool {
		for _, l := range errs {
			if m := listeningRE.FindStringSubmatch(l); m != nil {
				addr = m[1]
				return true
			}
		}
		return false
	})
	return jm, addr
}

// A job manager and two task managers, each its own weir process, run the
// word count: the output is exactly the one-process run's, and every
// process exits 0 when the job is done.
func TestClusterWordCountMatchesOneProcess(t *testing.T) {
	dir := t.TempDir()
	text, _ := corpus(3000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	job := []string{"wordcount", "--no-web", "--input", "in.txt", "-p", "2", "-D", "execution.checkpointing.interval=100ms"}
	jm, addr := startJobManager(t, dir, append(job, "--output", "cluster-out")...)
	tms := []*proc{start(t, dir, "taskmanager", "--jobmanager", addr), start(t, dir, "taskmanager", "--jobmanager", addr)}
	<-jm.done
	if jm.code != 0 {
		t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
	}
	for i, tm := range tms {
		<-tm.done
		if tm.code != 0 {
			t.Fatalf("task manager %d exited %d:\n%s", i, tm.code, strings.Join(tm.err, "\n"))
		}
		if !strings.Contains(strings.Join(tm.err, "\n"), `msg="data connection drained"`) {
			t.Fatalf("task manager %d exchanged no records with the other:\n%s", i, strings.Join(tm.err, "\n"))
		}
	}
	matchesOneProcess(t, dir, "cluster-out", 100, "wordcount", "--no-web", "--input", "in.txt", "-p", "2")
}

// matchesOneProcess runs `weir run JOB...` with --output one-out in dir
// and fails t unless the cluster's part files in dir/clusterOut hold
// exactly the same lines, and at least least of them.
func matchesOneProcess(t *testing.T, dir, clusterOut string, least int, job ...string) {
	t.Helper()
	one := runWeirIn(t, dir, "", append(append([]string{"run"}, job...), "--output", "one-out")...)
	if one.code != 0 {
		t.Fatalf("one-process run exited %d: %s", one.code, one.stderr)
	}
	got, want := sortedLines(readDir(t, filepath.Join(dir, clusterOut))), sortedLines(readDir(t, filepath.Join(dir, "one-out")))
	if len(want) < least || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s on the cluster: %d lines, the one-process run: %d lines; they differ or are fewer than %d", job[0], len(got), len(want), least)
	}
}

// Nexmark's q5 (hot items, sliding windows over a keyed exchange) and q8
// (a window join of two keyed streams) on a job manager and two task
// managers give the rows of the one-process run.
func TestClusterNexmarkMatchesOneProcess(t *testing.T) {
	for _, q := range []string{"q5", "q8"} {
		t.Run(q, func(t *testing.T) {
			dir := t.TempDir()
			job := []string{"nexmark", "--no-web", "--query", q, "--events", "500000", "-p", "2", "-D", "execution.checkpointing.interval=200ms"}
			jm, addr := startJobManager(t, dir, append(job, "--output", "cluster-out")...)
			start(t, dir, "taskmanager", "--jobmanager", addr)
			start(t, dir, "taskmanager", "--jobmanager", addr)
			<-jm.done
			if jm.code != 0 {
				t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
			}
			matchesOneProcess(t, dir, "cluster-out", 10, job...)
		})
	}
}

var deployedRE = regexp.MustCompile(`msg="attempt deployed" attempt=\S+-(\d+) `)

// awaitSecondAttempt waits until the job manager has deployed an attempt
// after its first: the job failed over.
func awaitSecondAttempt(t *testing.T, jm *proc) {
	t.Helper()
	jm.await(t, "the second attempt deployed", func(_, errs []string) bool {
		for _, l := range errs {
			if m := deployedRE.FindStringSubmatch(l); m != nil && m[1] != "1" {
				return true
			}
		}
		return false
	})
}

// SIGKILL one of two task managers mid-job: the job manager declares it
// lost at once (its connection closed), fails the attempt over, waits for
// a task manager to take its slot, and the job ends with every count
// committed exactly once.
func TestClusterSurvivesKilledTaskManager(t *testing.T) {
	dir := t.TempDir()
	text, want := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	jm, addr := startJobManager(t, dir, "wordcount", "--web", "127.0.0.1:0", "--input", "in.txt", "--output", "out", "-p", "2", "--rate", "2000",
		"-D", "execution.checkpointing.interval=100ms",
		"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=5",
		"-D", "restart-strategy.fixed-delay.delay=100ms")
	start(t, dir, "taskmanager", "--jobmanager", addr)
	victim := start(t, dir, "taskmanager", "--jobmanager", addr)
	jm.await(t, "three completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 3 })

	// The REST API lists both task managers, with Flink's fields, and
	// names each subtask's task manager.
	var base string
	for _, l := range jm.err {
		if m := dashboardRE.FindStringSubmatch(l); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no dashboard address in the log:\n%s", strings.Join(jm.err, "\n"))
	}
	var tms struct {
		TaskManagers []struct {
			ID          string `json:"id"`
			DataPort    int    `json:"dataPort"`
			SlotsNumber int    `json:"slotsNumber"`
			FreeSlots   int    `json:"freeSlots"`
			Heartbeat   int64  `json:"timeSinceLastHeartbeat"`
			Hardware    struct {
				CPUCores       int   `json:"cpuCores"`
				PhysicalMemory int64 `json:"physicalMemory"`
			} `json:"hardware"`
		} `json:"taskmanagers"`
	}
	code, body := httpGet(t, base+"taskmanagers")
	if err := json.Unmarshal([]byte(body), &tms); code != 200 || err != nil || len(tms.TaskManagers) != 2 {
		t.Fatalf("GET /taskmanagers: %d %s (%v)", code, body, err)
	}
	ids := map[string]bool{}
	for _, tm := range tms.TaskManagers {
		if tm.SlotsNumber != 1 || tm.FreeSlots != 0 || tm.DataPort == 0 || tm.Heartbeat == 0 || tm.Hardware.CPUCores < 1 || tm.Hardware.PhysicalMemory <= 0 {
			t.Fatalf("GET /taskmanagers: %s", body)
		}
		ids[tm.ID] = true
		if c, b := httpGet(t, base+"taskmanagers/"+tm.ID); c != 200 || !strings.Contains(b, `"id":"`+tm.ID+`"`) {
			t.Fatalf("GET /taskmanagers/%s: %d %s", tm.ID, c, b)
		}
	}
	if c, _ := httpGet(t, base+"taskmanagers/nosuch"); c != 404 {
		t.Fatalf("GET /taskmanagers/nosuch: %d, want 404", c)
	}
	_, jobs := httpGet(t, base+"jobs/overview")
	jid := regexp.MustCompile(`"jid":\s*"([0-9a-f]+)"`).FindStringSubmatch(jobs)
	if jid == nil {
		t.Fatalf("GET /jobs/overview: %s", jobs)
	}
	seen := map[string]bool{}
	var vertex string
	testutil.Await(t, 30*time.Second, func() bool {
		_, job := httpGet(t, base+"jobs/"+jid[1])
		vid := regexp.MustCompile(`"id":\s*"([0-9a-f]{32})"`).FindStringSubmatch(job)
		if vid == nil {
			return false
		}
		_, vertex = httpGet(t, base+"jobs/"+jid[1]+"/vertices/"+vid[1])
		clear(seen)
		for _, m := range regexp.MustCompile(`"taskmanager-id":\s*"([^"]+)"`).FindAllStringSubmatch(vertex, -1) {
			seen[m[1]] = true
		}
		if len(seen) != 2 {
			return false
		}
		// Flink's route: the vertex's subtasks grouped by task manager.
		_, byTM := httpGet(t, base+"jobs/"+jid[1]+"/vertices/"+vid[1]+"/taskmanagers")
		return len(regexp.MustCompile(`"taskmanager-id":\s*"([^"]+)"`).FindAllString(byTM, -1)) == 2
	}, func() string { return "the vertex's subtasks never named two task managers: " + vertex })
	if len(seen) != 2 || !ids[firstKey(seen)] {
		t.Fatalf("the subtasks' task managers %v are not the two registered ones %v: %s", seen, ids, vertex)
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-victim.done
	jm.await(t, "the task manager declared lost", func(_, errs []string) bool {
		return strings.Contains(strings.Join(errs, "\n"), `msg="task manager lost"`)
	})
	start(t, dir, "taskmanager", "--jobmanager", addr)
	awaitSecondAttempt(t, jm)
	t.Logf("from the SIGKILL to the next attempt deployed (detection, a new task manager, restore): %v", time.Since(killed).Round(time.Millisecond))
	<-jm.done
	if jm.code != 0 {
		t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
	}
	log := strings.Join(jm.err, "\n")
	if !strings.Contains(log, "connection closed") {
		t.Fatalf("the loss was not put down to the closed connection:\n%s", log)
	}
	if !regexp.MustCompile(`msg="job running again" job=wordcount attempt=1 downtime=\d`).MatchString(log) {
		t.Fatalf("the failover's downtime is not logged:\n%s", log)
	}
	checkCommittedExactlyOnce(t, filepath.Join(dir, "out"), want)
}

// A task manager stopped (SIGSTOP) for longer than heartbeat.timeout is
// declared lost after the timeout although its connection stays open; the
// job fails over to a new task manager, and when the stopped one wakes up
// (SIGCONT) its old tasks can deliver nothing: the output is exactly once.
// One stopped for less than the timeout is no failure at all.
func TestClusterStoppedTaskManager(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stop    time.Duration
		timeout time.Duration
		lost    bool
	}{
		{"longer than the timeout", 2500 * time.Millisecond, 1500 * time.Millisecond, true},
		// A timeout well above the stop, so that a loaded machine's own
		// pauses do not add up to it.
		{"shorter than the timeout", 300 * time.Millisecond, 3 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			text, want := corpus(4000)
			if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			jm, addr := startJobManager(t, dir, "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2", "--rate", "2000",
				"-D", "execution.checkpointing.interval=100ms",
				"-D", "heartbeat.interval=100ms", "-D", "heartbeat.timeout="+tc.timeout.String(),
				"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=5",
				"-D", "restart-strategy.fixed-delay.delay=100ms")
			start(t, dir, "taskmanager", "--jobmanager", addr)
			victim := start(t, dir, "taskmanager", "--jobmanager", addr)
			jm.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
			if err := victim.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			stopped := time.Now()
			if tc.lost {
				jm.await(t, "the stopped task manager declared lost", func(_, errs []string) bool {
					return strings.Contains(strings.Join(errs, "\n"), `msg="task manager lost"`)
				})
				if d := time.Since(stopped); d < tc.timeout {
					t.Fatalf("declared lost %v after SIGSTOP, before heartbeat.timeout (%v)", d, tc.timeout)
				}
				start(t, dir, "taskmanager", "--jobmanager", addr)
				awaitSecondAttempt(t, jm)
			}
			// Stay stopped for the test's time, then wake up.
			if rest := tc.stop - time.Since(stopped); rest > 0 {
				<-time.After(rest) // the length of the stop is the test's subject, not a wait for a condition
			}
			if err := victim.cmd.Process.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			<-jm.done
			if jm.code != 0 {
				t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
			}
			log := strings.Join(jm.err, "\n")
			if tc.lost && !strings.Contains(log, "no heartbeat for") {
				t.Fatalf("the loss was not put down to the missing heartbeat:\n%s", log)
			}
			if !tc.lost && (strings.Contains(log, `msg="task manager lost"`) || strings.Contains(log, "restarting job")) {
				victim.mu.Lock()
				defer victim.mu.Unlock()
				t.Fatalf("a stop shorter than heartbeat.timeout caused a failover:\n%s\nthe stopped task manager's log:\n%s", log, strings.Join(victim.err, "\n"))
			}
			checkCommittedExactlyOnce(t, filepath.Join(dir, "out"), want)
		})
	}
}

func firstKey(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}

// With security.ssl.internal.enabled, control and data connections use
// mutual TLS: a cluster whose processes hold certificates of the trusted
// authority runs the job exactly as without; a task manager whose
// certificate another authority signed, or one without TLS, cannot
// register, and says why in one line.
func TestClusterMutualTLS(t *testing.T) {
	dir := t.TempDir()
	text, _ := corpus(2000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	issue := testutil.Authority(t, dir, "cluster")
	tlsFlags := func(c testutil.CertFiles) []string {
		return []string{"-D", "security.ssl.internal.enabled=true", "-D", "security.ssl.internal.cert=" + c.Cert,
			"-D", "security.ssl.internal.key=" + c.Key, "-D", "security.ssl.internal.trust-cert=" + c.CA}
	}
	jm, addr := startJobManager(t, dir, append([]string{"wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2",
		"-D", "execution.checkpointing.interval=100ms"}, tlsFlags(issue())...)...)

	// Refused: a certificate of another authority, and no TLS at all.
	stranger := testutil.Authority(t, dir, "stranger")()
	for _, args := range [][]string{tlsFlags(stranger), nil} {
		tm := start(t, dir, append([]string{"taskmanager", "--jobmanager", addr, "-D", "taskmanager.registration.timeout=2s"}, args...)...)
		<-tm.done
		last := ""
		if len(tm.err) > 0 {
			last = tm.err[len(tm.err)-1]
		}
		if tm.code != 1 || !strings.Contains(last, "cannot register with the job manager at "+addr) {
			t.Fatalf("a task manager without the cluster's certificate (%v) exited %d: %q", args, tm.code, last)
		}
	}

	// Accepted: two task managers with the cluster's certificates.
	tms := []*proc{
		start(t, dir, append([]string{"taskmanager", "--jobmanager", addr}, tlsFlags(issue())...)...),
		start(t, dir, append([]string{"taskmanager", "--jobmanager", addr}, tlsFlags(issue())...)...),
	}
	<-jm.done
	if jm.code != 0 {
		t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
	}
	for i, tm := range tms {
		<-tm.done
		if tm.code != 0 || !strings.Contains(strings.Join(tm.err, "\n"), `msg="data connection drained"`) {
			t.Fatalf("task manager %d exited %d:\n%s", i, tm.code, strings.Join(tm.err, "\n"))
		}
	}
	matchesOneProcess(t, dir, "out", 100, "wordcount", "--no-web", "--input", "in.txt", "-p", "2")
}

// The fourth seed's cache load: a user function blocks three times as
// long as heartbeat.timeout. Heartbeats run on goroutines of their own, so
// its task manager stays registered and nothing fails over; the checkpoint
// waits for the function, and the diagnosis names the subtask and why.
func TestClusterBusyFunctionKeepsItsTaskManager(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "alpha beta w%d\n", i%7)
		if i == 500 {
			b.WriteString("LOADCACHE\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	jm, addr := startJobManager(t, dir, "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2", "--rate", "1000",
		"--stall-on", "LOADCACHE", "--stall", "4500ms",
		"-D", "execution.checkpointing.interval=200ms", "-D", "heartbeat.interval=100ms", "-D", "heartbeat.timeout=1500ms")
	start(t, dir, "taskmanager", "--jobmanager", addr)
	start(t, dir, "taskmanager", "--jobmanager", addr)
	<-jm.done
	log := strings.Join(jm.err, "\n")
	if jm.code != 0 {
		t.Fatalf("job manager exited %d:\n%s", jm.code, log)
	}
	if strings.Contains(log, `msg="task manager lost"`) || strings.Contains(log, "restarting job") {
		t.Fatalf("a function blocking 4.5s with heartbeat.timeout 1.5s lost its task manager:\n%s", log)
	}
	if !regexp.MustCompile(`msg="checkpoint diagnosis" .*cause=busy-task summary="Checkpoint \d+ took [0-9.]+s, with checkpoints every 200ms: Source: Lines -> Split \(\d/2\) spent [0-9.]+s of its [0-9.]+s \(\d+%\) before it took the trigger: it was busy in its own work`).MatchString(log) {
		t.Fatalf("no diagnosis naming the busy subtask:\n%s", log)
	}
}

// A task manager that does not see the job manager's local checkpoint
// directory (here: a private mount over it, as on another machine or in a
// container without the volume) is refused at deployment with one line
// that says what to do, and the job manager exits 2 without retrying.
func TestClusterRefusesUnsharedCheckpointDir(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to give the task manager a mount of its own")
	}
	dir := t.TempDir()
	text, _ := corpus(100)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "ckpt")
	if err := os.MkdirAll(ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	jm, addr := startJobManager(t, dir, "wordcount", "--no-web", "--input", "in.txt", "--output", "out",
		"-D", "execution.checkpointing.interval=100ms", "-D", "execution.checkpointing.dir="+ckpt)
	// The task manager's own view of the directory: an empty file system
	// mounted over it, private to its mount namespace.
	startProgram(t, dir, "unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs tmpfs "$1" && exec "$2" taskmanager --jobmanager "$3"`, "sh", ckpt, weirBin, addr)
	<-jm.done
	last := ""
	if len(jm.err) > 0 {
		last = jm.err[len(jm.err)-1]
	}
	if jm.code != 2 || !strings.Contains(last, "the job manager's local checkpoint directory "+ckpt+" is not the one task manager") ||
		!strings.Contains(last, "use s3:// or a file system mounted at the same path on every host") {
		t.Fatalf("job manager exited %d with %q, want 2 and the unshared directory named:\n%s", jm.code, last, strings.Join(jm.err, "\n"))
	}
}

// With no task manager to offer slots, the job manager gives up after
// slot.request.timeout with one line that says what to do.
func TestClusterSlotTimeout(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jm, addr := startJobManager(t, dir, "wordcount", "--no-web", "--input", "in.txt", "-p", "2", "-D", "slot.request.timeout=500ms")
	<-jm.done
	last := jm.err[len(jm.err)-1]
	want := "weir: job wordcount failed: not enough task slots: the job needs 2 slots and the task managers registered with the job manager at " + addr +
		" offer 0 after 500ms (slot.request.timeout); start more task managers or give them more slots (taskmanager.numberOfTaskSlots)"
	if jm.code != 1 || last != want {
		t.Fatalf("exit %d, last line %q; want exit 1 and %q", jm.code, last, want)
	}
}

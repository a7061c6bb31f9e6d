package web_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/web"
)

// TestHistoryServerInBrowser runs a job to its end, archives it, serves
// the archive with the history server, and drives its dashboard in
// headless Chromium (web/e2e/history.mjs): the job list shows the job as
// FINISHED, and the job, its checkpoints and its exceptions open from the
// archive without one failed request.
func TestHistoryServerInBrowser(t *testing.T) {
	node := browserTools(t)
	out := artifactsDir(t)
	e := newEnv(t, "parallelism.default=2", "execution.checkpointing.interval=20ms",
		"execution.checkpointing.dir="+filepath.Join(t.TempDir(), "ckpt"))
	gen := datagen.New(2000, 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: i} })
	weir.Map(weir.FromSource(e, gen, "Numbers").UID("numbers"), func(r rec) (rec, error) { return r, nil }).
		Name("Pass").UID("pass").DisableChaining().SinkTo(discard.New[rec](), "Discard").UID("discard")
	if err := e.Execute(context.Background(), "archived-job"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := web.WriteArchive(dir, web.Options{Version: "test"}, e.Job()); err != nil {
		t.Fatal(err)
	}
	hs := web.NewHistoryServer(web.HistoryOptions{Dirs: []string{dir}, Version: "test"})
	if err := hs.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", "history.mjs"), hs.URL(), out, e.Job().ID())
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(output.String()), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("%s: %v (screenshots in %s)", strings.Join(cmd.Args, " "), err, out)
	}
}

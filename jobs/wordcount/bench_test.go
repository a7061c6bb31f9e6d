package wordcount_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/jobs/wordcount"
)

// benchInput writes lines of random words (10 per line, 10000-word
// vocabulary) once per process and returns the path and the word count.
func benchInput(b *testing.B, lines int) (string, int64) {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("weir-bench-words-%d.txt", lines))
	words := int64(lines * 10)
	if _, err := os.Stat(path); err == nil {
		return path, words
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	src := datagen.Lines(int64(lines), 42, 10, 10000)
	r, err := src.CreateReader(weir.SourceContext{Parallelism: 1})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]string, 0, 1024)
	for {
		recs, _, err := r.Fetch(context.Background(), buf[:0])
		for _, l := range recs {
			w.WriteString(l)
			w.WriteByte('\n')
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path, words
}

const benchLines = 200000

// BenchmarkPlainLoop is the baseline: read the file, split, count in a map,
// and format every update as the job does.
func BenchmarkPlainLoop(b *testing.B) {
	path, words := benchInput(b, benchLines)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		counts := map[string]int64{}
		sc := bufio.NewScanner(f)
		var sink int
		for sc.Scan() {
			for _, w := range strings.Fields(sc.Text()) {
				counts[w]++
				sink += len(w + "," + strconv.FormatInt(counts[w], 10))
			}
		}
		f.Close()
		_ = sink
	}
	b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds(), "words/s")
}

func BenchmarkWordCount(b *testing.B) {
	path, words := benchInput(b, benchLines)
	for _, c := range []struct {
		name string
		p    int
		ckpt bool
	}{{"p1", 1, false}, {"p2", 2, false}, {"p1-checkpoint100ms", 1, true}, {"p2-checkpoint100ms", 2, true}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cfg := config.New()
				kv := []string{fmt.Sprintf("parallelism.default=%d", c.p)}
				if c.ckpt {
					kv = append(kv, "execution.checkpointing.interval=100ms", "execution.checkpointing.dir="+b.TempDir())
				}
				if err := cfg.SetPairs(kv); err != nil {
					b.Fatal(err)
				}
				env := weir.NewEnvironment(cfg)
				env.SetLogger(slog.New(slog.DiscardHandler))
				if err := wordcount.Declare(env, wordcount.Options{Input: path, Output: "discard"}); err != nil {
					b.Fatal(err)
				}
				if err := env.Execute(context.Background(), "wordcount"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds(), "words/s")
		})
	}
}

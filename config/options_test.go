package config

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// registered returns All() without options declared by tests.
func registered() []OptionInfo {
	var out []OptionInfo
	for _, o := range All() {
		if !strings.HasPrefix(o.Key, "test.only.") {
			out = append(out, o)
		}
	}
	return out
}

// TestDeclaredOptions pins every option's key and default text, so a changed
// default is a deliberate, reviewed change.
func TestDeclaredOptions(t *testing.T) {
	want := map[string]string{
		"parallelism.default":               "1",
		"pipeline.max-parallelism":          "128",
		"pipeline.name":                     "",
		"pipeline.auto-watermark-interval":  "200 ms",
		"execution.buffer-timeout.interval": "100 ms",
		"execution.buffer-timeout.enabled":  "true",

		"taskmanager.memory.segment-size":                      "32 kb",
		"taskmanager.network.memory.buffers-per-channel":       "2",
		"taskmanager.network.memory.floating-buffers-per-gate": "8",
		"heartbeat.interval":                                   "10 s",
		"heartbeat.timeout":                                    "50 s",
		"task.cancellation.timeout":                            "3 min",

		"execution.checkpointing.interval":                          "(none)",
		"execution.checkpointing.mode":                              "EXACTLY_ONCE",
		"execution.checkpointing.timeout":                           "10 min",
		"execution.checkpointing.min-pause":                         "0 ms",
		"execution.checkpointing.max-concurrent-checkpoints":        "1",
		"execution.checkpointing.tolerable-failed-checkpoints":      "0",
		"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
		"execution.checkpointing.num-retained":                      "1",
		"execution.checkpointing.dir":                               "weir-checkpoints",
		"execution.checkpointing.incremental":                       "false",
		"execution.checkpointing.unaligned.enabled":                 "false",
		"execution.checkpointing.aligned-checkpoint-timeout":        "0 ms",
		"execution.checkpointing.fallback":                          "allow",

		"state.backend.type":                     "hashmap",
		"execution.state-recovery.from-local":    "false",
		"state.backend.heap.memory-budget":       "(none)",
		"state.backend.rocksdb.localdir":         "(none)",
		"state.backend.rocksdb.writebuffer.size": "64 mb",
		"state.backend.rocksdb.block.cache-size": "64 mb",
		"state.backend.pebble.state-cache.size":  "32 mb",

		"restart-strategy.type":                                            "(none)",
		"restart-strategy.fixed-delay.attempts":                            "1",
		"restart-strategy.fixed-delay.delay":                               "1 s",
		"restart-strategy.failure-rate.max-failures-per-interval":          "1",
		"restart-strategy.failure-rate.failure-rate-interval":              "1 min",
		"restart-strategy.failure-rate.delay":                              "1 s",
		"restart-strategy.exponential-delay.initial-backoff":               "1 s",
		"restart-strategy.exponential-delay.max-backoff":                   "1 min",
		"restart-strategy.exponential-delay.backoff-multiplier":            "1.5",
		"restart-strategy.exponential-delay.reset-backoff-threshold":       "1 h",
		"restart-strategy.exponential-delay.jitter-factor":                 "0.1",
		"restart-strategy.exponential-delay.attempts-before-reset-backoff": "2147483647",

		"rest.address":             "127.0.0.1",
		"rest.port":                "8081",
		"rest.bind-address":        "(none)",
		"web.submit.enable":        "true",
		"web.cancel.enable":        "true",
		"rest.auth.token":          "(none)",
		"rest.auth.token-file":     "(none)",
		"metrics.prometheus.names": "flink",

		"source.max-record-size": "64 mb",

		// Flink's, accepted with a warning that they have no effect (notapplicable.go).
		"taskmanager.memory.process.size":            "(none)",
		"taskmanager.memory.flink.size":              "(none)",
		"taskmanager.memory.framework.heap.size":     "(none)",
		"taskmanager.memory.framework.off-heap.size": "(none)",
		"taskmanager.memory.task.heap.size":          "(none)",
		"taskmanager.memory.task.off-heap.size":      "(none)",
		"taskmanager.memory.jvm-metaspace.size":      "(none)",
		"taskmanager.memory.jvm-overhead.min":        "(none)",
		"taskmanager.memory.jvm-overhead.max":        "(none)",
		"taskmanager.memory.jvm-overhead.fraction":   "0.1",
		"taskmanager.memory.managed.size":            "(none)",
		"taskmanager.memory.managed.fraction":        "0.4",
		"taskmanager.memory.network.min":             "(none)",
		"taskmanager.memory.network.max":             "(none)",
		"taskmanager.memory.network.fraction":        "0.1",
		"jobmanager.memory.process.size":             "(none)",
		"jobmanager.memory.flink.size":               "(none)",
		"jobmanager.memory.heap.size":                "(none)",
		"jobmanager.memory.off-heap.size":            "(none)",
		"jobmanager.memory.jvm-metaspace.size":       "(none)",
		"jobmanager.memory.jvm-overhead.min":         "(none)",
		"jobmanager.memory.jvm-overhead.max":         "(none)",
		"jobmanager.memory.jvm-overhead.fraction":    "0.1",
		"taskmanager.numberOfTaskSlots":              "1",
		"jobmanager.rpc.port":                        "6123",
		"jobmanager.rpc.address":                     "127.0.0.1",
		"jobmanager.bind-host":                       "(none)",
		"taskmanager.bind-host":                      "(none)",
		"taskmanager.host":                           "127.0.0.1",
		"taskmanager.data.port":                      "0",
		"slot.request.timeout":                       "5 min",
		"minicluster.number-of-taskmanagers":         "1",
		"security.ssl.internal.enabled":              "false",
		"security.ssl.internal.cert":                 "(none)",
		"security.ssl.internal.key":                  "(none)",
		"security.ssl.internal.trust-cert":           "(none)",
		"taskmanager.registration.timeout":           "5 min",
		"jobmanager.archive.fs.dir":                  "(none)",
		"historyserver.archive.fs.dir":               "(none)",
		"historyserver.archive.fs.refresh-interval":  "10 s",
		"historyserver.web.address":                  "127.0.0.1",
		"historyserver.web.port":                     "8082",
		"historyserver.archive.retained-jobs":        "-1",
		"pekko.ask.timeout":                          "(none)",
		"pekko.lookup.timeout":                       "(none)",
		"pekko.tcp.timeout":                          "(none)",
		"pekko.startup-timeout":                      "(none)",
		"pekko.framesize":                            "(none)",
		"env.java.opts.all":                          "(none)",
		"env.java.opts.jobmanager":                   "(none)",
		"env.java.opts.taskmanager":                  "(none)",
		"classloader.resolve-order":                  "(none)",
		"jobmanager.execution.failover-strategy":     "(none)",
	}
	got := map[string]string{}
	for _, o := range registered() {
		got[o.Key] = o.Default
	}
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("option %s is not registered", k)
		} else if g != v {
			t.Errorf("option %s: default %q, want %q", k, g, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("option %s is registered but not pinned in this test", k)
		}
	}
}

// TestEveryDefaultParsesAndValidates sets every registered option, under its
// key and under each alias, to its own default text, which must be accepted
// and stored unchanged; and the all-defaults config must pass Validate.
func TestEveryDefaultParsesAndValidates(t *testing.T) {
	all := All() // including test-declared options: their defaults must hold too
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Key < all[j].Key }) {
		t.Errorf("All() is not sorted by key")
	}
	full := New()
	for _, o := range all {
		if !o.HasDefault {
			if o.Default != "(none)" {
				t.Errorf("%s: unset default rendered as %q", o.Key, o.Default)
			}
			continue
		}
		for _, key := range append([]string{o.Key}, o.Aliases...) {
			c := New()
			if err := c.Set(key, o.Default); err != nil {
				t.Errorf("%s: default %q refused: %v", key, o.Default, err)
				continue
			}
			if got := c.Map()[o.Key]; got != o.Default {
				t.Errorf("%s: default %q stored as %q", key, o.Default, got)
			}
		}
		if err := full.Set(o.Key, o.Default); err != nil {
			t.Errorf("%s: %v", o.Key, err)
		}
	}
	if err := New().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if err := full.Validate(); err != nil {
		t.Errorf("explicit defaults do not validate: %v", err)
	}
}

func TestOptionMetadata(t *testing.T) {
	seenAlias := map[string]string{}
	for _, o := range registered() {
		if o.Description == "" {
			t.Errorf("%s: no description", o.Key)
		}
		if !strings.Contains(o.Description, "Flink") && !strings.Contains(o.Description, "Weir-only") {
			t.Errorf("%s: description names neither the Flink source of the default nor says Weir-only", o.Key)
		}
		if o.Type == "enum" && len(o.Values) == 0 {
			t.Errorf("%s: enum without values", o.Key)
		}
		for _, a := range o.Aliases {
			if prev, dup := seenAlias[a]; dup {
				t.Errorf("alias %s used by %s and %s", a, prev, o.Key)
			}
			seenAlias[a] = o.Key
		}
	}

	// Typed accessors on the Option values.
	if DefaultParallelism.Key() != "parallelism.default" || DefaultParallelism.Description() == "" {
		t.Errorf("Key/Description accessors")
	}
	if d, ok := DefaultParallelism.Default(); !ok || d != 1 {
		t.Errorf("Default() = %v, %v", d, ok)
	}
	if _, ok := CheckpointingInterval.Default(); ok {
		t.Errorf("interval should have no default")
	}
	if a := CheckpointsDirectory.Aliases(); len(a) != 2 || a[0] != "state.checkpoints.dir" {
		t.Errorf("Aliases() = %v", a)
	}

	var info OptionInfo
	for _, o := range All() {
		if o.Key == "state.backend.type" {
			info = o
		}
	}
	if info.Type != "enum" || info.ValueAliases["heap"] != "hashmap" || info.ValueAliases["rocksdb"] != "pebble" ||
		len(info.Aliases) != 1 || info.Aliases[0] != "state.backend" {
		t.Errorf("state.backend.type info = %+v", info)
	}
}

// TestRestAuthTokenValue: the token comes from rest.auth.token or from the
// file rest.auth.token-file names (white space trimmed); both set, an
// unreadable or empty file are errors that do not hold the token.
func TestRestAuthTokenValue(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/token"
	if err := os.WriteFile(file, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := dir + "/empty"
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pairs   []string
		want    string
		wantErr string
	}{
		{nil, "", ""},
		{[]string{"rest.auth.token=abc"}, "abc", ""},
		{[]string{"rest.auth.token-file=" + file}, "s3cret", ""},
		{[]string{"rest.auth.token=abc", "rest.auth.token-file=" + file}, "", "rest.auth.token and rest.auth.token-file are both set: set one of them"},
		{[]string{"rest.auth.token-file=" + dir + "/missing"}, "", "rest.auth.token-file: cannot read the REST token: open " + dir + "/missing: no such file or directory"},
		{[]string{"rest.auth.token-file=" + empty}, "", "rest.auth.token-file: " + empty + " is empty: write the token into it"},
		{[]string{"rest.auth.token= "}, "", "must not be empty"},
	}
	for _, tc := range tests {
		c := New()
		if err := c.SetPairs(tc.pairs); err != nil {
			if tc.wantErr == "" || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v", tc.pairs, err)
			}
			continue
		}
		got, err := RestAuthTokenValue(c)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.HasPrefix(err.Error(), tc.wantErr)) {
			t.Errorf("%q: %q, %v; want %q, %q", tc.pairs, got, err, tc.want, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error %v holds the token", tc.pairs, err)
		}
	}
}

// TestMetricsPrometheusNames: flink or weir, in any case; anything else
// is refused.
func TestMetricsPrometheusNames(t *testing.T) {
	c := New()
	if err := c.SetPairs([]string{"metrics.prometheus.names=WEIR"}); err != nil {
		t.Fatal(err)
	}
	if got := Get(c, MetricsPrometheusNames); got != MetricNamesWeir {
		t.Fatalf("got %q", got)
	}
	if err := New().SetPairs([]string{"metrics.prometheus.names=prom"}); err == nil {
		t.Fatal("metrics.prometheus.names=prom accepted")
	}
}

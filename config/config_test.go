package config

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSetInvalidValueMessage(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"parallelism.default", "abc", `invalid value "abc" for option parallelism.default: not an integer`},
		{"parallelism.default", "0", `invalid value "0" for option parallelism.default: must be at least 1`},
		{"pipeline.max-parallelism", "32769", `invalid value "32769" for option pipeline.max-parallelism: must be between 1 and 32768`},
		{"execution.checkpointing.interval", "5 ms", `invalid value "5 ms" for option execution.checkpointing.interval: must be at least 10 ms`},
		{"execution.checkpointing.interval", "0", `invalid value "0" for option execution.checkpointing.interval: must be at least 10 ms`},
		{"execution.checkpointing.timeout", "soon", `invalid value "soon" for option execution.checkpointing.timeout: not a duration: must start with a number, as in "10 s"`},
		{"execution.checkpointing.mode", "exactly-once", `invalid value "exactly-once" for option execution.checkpointing.mode: must be one of EXACTLY_ONCE, AT_LEAST_ONCE`},
		{"execution.checkpointing.unaligned.enabled", "yes", `invalid value "yes" for option execution.checkpointing.unaligned.enabled: not a boolean (use true or false)`},
		{"taskmanager.memory.segment-size", "2kb", `invalid value "2kb" for option taskmanager.memory.segment-size: must be between 4 kb and 16 mb`},
		{"taskmanager.memory.segment-size", "48kb", `invalid value "48kb" for option taskmanager.memory.segment-size: must be a power of two`},
		{"rest.port", "65536", `invalid value "65536" for option rest.port: must be between 0 and 65535`},
		{"restart-strategy.type", "sometimes", `invalid value "sometimes" for option restart-strategy.type: must be one of disable, fixed-delay, failure-rate, exponential-delay`},
		{"restart-strategy.exponential-delay.jitter-factor", "1.5", `invalid value "1.5" for option restart-strategy.exponential-delay.jitter-factor: must be between 0 and 1`},
		{"restart-strategy.exponential-delay.backoff-multiplier", "0.5", `invalid value "0.5" for option restart-strategy.exponential-delay.backoff-multiplier: must be at least 1`},
		{"restart-strategy.exponential-delay.initial-backoff", "0", `invalid value "0" for option restart-strategy.exponential-delay.initial-backoff: must be at least 1 ms`},
		{"heartbeat.interval", "0 s", `invalid value "0 s" for option heartbeat.interval: must be greater than 0 ms`},
		{"execution.checkpointing.dir", "  ", `invalid value "  " for option execution.checkpointing.dir: must not be empty`},
		{"state.backend.type", "memory", `invalid value "memory" for option state.backend.type: must be one of hashmap, pebble`},
		{"execution.checkpointing.fallback", "warn", `invalid value "warn" for option execution.checkpointing.fallback: must be one of allow, refuse`},
		// An alias is named as the user wrote it.
		{"state.checkpoints.num-retained", "0", `invalid value "0" for option state.checkpoints.num-retained: must be at least 1`},
	}
	for _, tt := range tests {
		c := New()
		err := c.Set(tt.key, tt.value)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q, %q) = %v\nwant %s", tt.key, tt.value, err, tt.want)
			continue
		}
		if !errors.Is(err, ErrInvalidValue) || errors.Is(err, ErrUnknownOption) {
			t.Errorf("Set(%q, %q): error does not wrap exactly ErrInvalidValue", tt.key, tt.value)
		}
		var e *Error
		if !errors.As(err, &e) || e.Key != tt.key || e.Value != tt.value || e.Reason == "" {
			t.Errorf("Set(%q, %q): *Error = %+v", tt.key, tt.value, e)
		}
		if len(c.Keys()) != 0 {
			t.Errorf("Set(%q, %q) failed but changed the config: %v", tt.key, tt.value, c)
		}
	}
}

func TestSetUnknownKey(t *testing.T) {
	c := New()
	err := c.Set("paralelism.default", "4")
	want := `unknown option "paralelism.default" (did you mean "parallelism.default"?)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if !errors.Is(err, ErrUnknownOption) || errors.Is(err, ErrInvalidValue) {
		t.Errorf("error does not wrap exactly ErrUnknownOption")
	}
	var e *Error
	if !errors.As(err, &e) || e.Suggestion != "parallelism.default" || e.Key != "paralelism.default" {
		t.Errorf("*Error = %+v", e)
	}

	err = c.Set("no.such.thing", "1")
	if err == nil || err.Error() != `unknown option "no.such.thing"` {
		t.Errorf("far-off key: got %v", err)
	}
	err = c.Set("checkpointing.interval", "1 s")
	if err == nil || !strings.Contains(err.Error(), `did you mean "execution.checkpointing.interval"?`) {
		t.Errorf("tail key: got %v", err)
	}
}

func TestAliases(t *testing.T) {
	tests := []struct {
		alias, value string
		check        func(*Config) bool
		canonical    string
	}{
		{"state.checkpoints.dir", "s3://bucket/cp", func(c *Config) bool { return Get(c, CheckpointsDirectory) == "s3://bucket/cp" }, "execution.checkpointing.dir"},
		{"state.backend.fs.checkpointdir", "/tmp/cp", func(c *Config) bool { return Get(c, CheckpointsDirectory) == "/tmp/cp" }, "execution.checkpointing.dir"},
		{"state.checkpoints.num-retained", "3", func(c *Config) bool { return Get(c, MaxRetainedCheckpoints) == 3 }, "execution.checkpointing.num-retained"},
		{"state.backend.incremental", "true", func(c *Config) bool { return Get(c, IncrementalCheckpoints) }, "execution.checkpointing.incremental"},
		{"execution.checkpointing.unaligned", "true", func(c *Config) bool { return Get(c, UnalignedCheckpointsEnabled) }, "execution.checkpointing.unaligned.enabled"},
		{"execution.checkpointing.alignment-timeout", "2 s", func(c *Config) bool { return Get(c, AlignedCheckpointTimeout) == 2*time.Second }, "execution.checkpointing.aligned-checkpoint-timeout"},
		{"state.backend", "rocksdb", func(c *Config) bool { return Get(c, StateBackendType) == PebbleBackend }, "state.backend.type"},
		{"state.backend.local-recovery", "true", func(c *Config) bool { return Get(c, LocalRecovery) }, "execution.state-recovery.from-local"},
		{"restart-strategy", "fixeddelay", func(c *Config) bool { return Get(c, RestartStrategy) == RestartFixedDelay }, "restart-strategy.type"},
		{"execution.buffer-timeout", "5 ms", func(c *Config) bool { return Get(c, BufferTimeoutInterval) == 5*time.Millisecond }, "execution.buffer-timeout.interval"},
		{"jobmanager.web.submit.enable", "false", func(c *Config) bool { return !Get(c, WebSubmitEnable) }, "web.submit.enable"},
	}
	for _, tt := range tests {
		c := New()
		if err := c.Set(tt.alias, tt.value); err != nil {
			t.Errorf("Set(%q): %v", tt.alias, err)
			continue
		}
		if !tt.check(c) {
			t.Errorf("Set(%q, %q) not visible through the option: %v", tt.alias, tt.value, c)
		}
		if keys := c.Keys(); len(keys) != 1 || keys[0] != tt.canonical {
			t.Errorf("Set(%q): keys = %v, want [%s]", tt.alias, keys, tt.canonical)
		}
	}

	// A later canonical Set overrides an earlier alias Set: one entry.
	c := New()
	_ = c.Set("state.checkpoints.dir", "/a")
	_ = c.Set("execution.checkpointing.dir", "/b")
	if Get(c, CheckpointsDirectory) != "/b" || len(c.Keys()) != 1 {
		t.Errorf("alias then key: %v", c)
	}
}

func TestEnumValues(t *testing.T) {
	tests := []struct {
		key, value, want string
		opt              Option[string]
	}{
		{"state.backend.type", "heap", HashMapBackend, StateBackendType},
		{"state.backend.type", "HashMap", HashMapBackend, StateBackendType},
		{"state.backend.type", "ROCKSDB", PebbleBackend, StateBackendType},
		{"state.backend.type", "pebble", PebbleBackend, StateBackendType},
		{"restart-strategy.type", "none", RestartDisable, RestartStrategy},
		{"restart-strategy.type", "off", RestartDisable, RestartStrategy},
		{"restart-strategy.type", "Disable", RestartDisable, RestartStrategy},
		{"restart-strategy.type", "FixedDelay", RestartFixedDelay, RestartStrategy},
		{"restart-strategy.type", "failurerate", RestartFailureRate, RestartStrategy},
		{"restart-strategy.type", "exponentialdelay", RestartExponentialDelay, RestartStrategy},
		{"restart-strategy.type", "EXPONENTIAL-DELAY", RestartExponentialDelay, RestartStrategy},
		{"execution.checkpointing.mode", "exactly_once", ExactlyOnce, CheckpointingMode},
		{"execution.checkpointing.mode", " At_Least_Once ", AtLeastOnce, CheckpointingMode},
		{"execution.checkpointing.externalized-checkpoint-retention", "delete_on_cancellation", DeleteOnCancellation, ExternalizedCheckpointRetention},
	}
	for _, tt := range tests {
		c := New()
		if err := c.Set(tt.key, tt.value); err != nil {
			t.Errorf("Set(%q, %q): %v", tt.key, tt.value, err)
			continue
		}
		if got := Get(c, tt.opt); got != tt.want {
			t.Errorf("Set(%q, %q): got %q, want %q", tt.key, tt.value, got, tt.want)
		}
		if got := c.Map()[tt.key]; got != tt.want {
			t.Errorf("Set(%q, %q): stored %q, want canonical %q", tt.key, tt.value, got, tt.want)
		}
	}
}

func TestGetLookupDefaults(t *testing.T) {
	var nilCfg *Config
	var zero Config
	for _, c := range []*Config{nilCfg, &zero, New()} {
		if got := Get(c, DefaultParallelism); got != 1 {
			t.Errorf("default parallelism = %d", got)
		}
		if got := Get(c, CheckpointingTimeout); got != 10*time.Minute {
			t.Errorf("default timeout = %v", got)
		}
		if v, set := Lookup(c, CheckpointingInterval); set || v != 0 {
			t.Errorf("unset interval: Lookup = %v, %v", v, set)
		}
		if v, set := Lookup(c, DefaultParallelism); set || v != 1 {
			t.Errorf("unset parallelism: Lookup = %v, %v (want default, false)", v, set)
		}
		if CheckpointingEnabled(c) {
			t.Errorf("checkpointing enabled by default")
		}
	}

	c := New()
	if err := c.Set("execution.checkpointing.interval", "1m30s"); err != nil {
		t.Fatal(err)
	}
	if v, set := Lookup(c, CheckpointingInterval); !set || v != 90*time.Second {
		t.Errorf("Lookup(interval) = %v, %v", v, set)
	}
	if !CheckpointingEnabled(c) {
		t.Errorf("checkpointing not enabled after setting the interval")
	}
	if got := c.String(); got != `execution.checkpointing.interval="90 s"` {
		t.Errorf("String() = %s", got)
	}
	c.Unset("execution.checkpointing.interval")
	if CheckpointingEnabled(c) {
		t.Errorf("Unset did not clear the interval")
	}
	if err := c.Set("taskmanager.memory.segment-size", "65536"); err != nil || Get(c, MemorySegmentSize) != 64<<10 {
		t.Errorf("segment size: %v %d", err, Get(c, MemorySegmentSize))
	}
	if err := c.Set("pipeline.name", "  my job  "); err != nil || Get(c, PipelineName) != "my job" {
		t.Errorf("pipeline.name: %v %q", err, Get(c, PipelineName))
	}
}

func TestSetPairs(t *testing.T) {
	c := New()
	err := c.SetPairs([]string{
		"parallelism.default=4",
		" execution.checkpointing.interval = 10 s",
		"pipeline.name=a=b",
		"parallelism.default=8",
	})
	if err != nil {
		t.Fatal(err)
	}
	if Get(c, DefaultParallelism) != 8 || Get(c, CheckpointingInterval) != 10*time.Second || Get(c, PipelineName) != "a=b" {
		t.Errorf("SetPairs result: %v", c)
	}

	before := c.String()
	err = c.SetPairs([]string{"rest.port=9000", "nonsense", "=3", "paralelism.default=2", "rest.port=x"})
	if err == nil {
		t.Fatal("want error")
	}
	msg := err.Error()
	for _, want := range []string{
		`malformed option pair "nonsense" (expected key=value)`,
		`malformed option pair "=3" (empty key)`,
		`unknown option "paralelism.default" (did you mean "parallelism.default"?)`,
		`invalid value "x" for option rest.port: not an integer`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("SetPairs error lacks %q:\n%s", want, msg)
		}
	}
	if !errors.Is(err, ErrMalformedPair) || !errors.Is(err, ErrUnknownOption) || !errors.Is(err, ErrInvalidValue) {
		t.Errorf("joined error does not wrap all sentinels")
	}
	if c.String() != before {
		t.Errorf("failed SetPairs changed the config: %s", c)
	}
}

func TestCloneIndependent(t *testing.T) {
	c := New()
	_ = c.Set("parallelism.default", "2")
	d := c.Clone()
	_ = d.Set("parallelism.default", "3")
	_ = d.Set("rest.port", "0")
	if Get(c, DefaultParallelism) != 2 || len(c.Keys()) != 1 {
		t.Errorf("clone shares state with original: %v", c)
	}
	if Get(d, DefaultParallelism) != 3 || Get(d, RestPort) != 0 {
		t.Errorf("clone: %v", d)
	}
	var nilCfg *Config
	if nilCfg.Clone() == nil || len(nilCfg.Keys()) != 0 || nilCfg.String() != "" {
		t.Errorf("nil config helpers")
	}
}

func TestStringQuoting(t *testing.T) {
	c := New()
	_ = c.SetPairs([]string{"pipeline.name=", "rest.port=8082", "execution.checkpointing.dir=/x"})
	want := `execution.checkpointing.dir=/x pipeline.name="" rest.port=8082`
	if got := c.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestRestartStrategyType(t *testing.T) {
	c := New()
	if got := RestartStrategyType(c); got != RestartDisable {
		t.Errorf("no checkpointing: %q", got)
	}
	_ = c.Set("execution.checkpointing.interval", "10 s")
	if got := RestartStrategyType(c); got != RestartExponentialDelay {
		t.Errorf("checkpointing on: %q", got)
	}
	_ = c.Set("restart-strategy.type", "fixed-delay")
	if got := RestartStrategyType(c); got != RestartFixedDelay {
		t.Errorf("explicit: %q", got)
	}
	_ = c.Set("restart-strategy.type", "none")
	if got := RestartStrategyType(c); got != RestartDisable {
		t.Errorf("explicit none: %q", got)
	}
}

func TestEffectiveRestBindAddress(t *testing.T) {
	c := New()
	if got := EffectiveRestBindAddress(c); got != "127.0.0.1" {
		t.Errorf("default: %q", got)
	}
	_ = c.Set("rest.address", "10.0.0.5")
	if got := EffectiveRestBindAddress(c); got != "10.0.0.5" {
		t.Errorf("from rest.address: %q", got)
	}
	_ = c.Set("rest.bind-address", "0.0.0.0")
	if got := EffectiveRestBindAddress(c); got != "0.0.0.0" {
		t.Errorf("explicit: %q", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_ = c.Set("parallelism.default", "3")
				_ = c.Clone()
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_ = Get(c, DefaultParallelism)
				_ = c.String()
				_ = c.Validate()
			}
		}()
	}
	wg.Wait()
}

func TestRegistrationPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("duplicate key", func() { IntOption("parallelism.default", 1, "dup") })
	mustPanic("duplicate alias", func() { BoolOption("test.only.x", false, "x").WithAliases("state.checkpoints.dir") })
	mustPanic("bad enum default", func() { EnumOption("test.only.y", "c", []string{"a", "b"}, nil, "y") })
	mustPanic("bad enum alias", func() { EnumOption("test.only.z", "a", []string{"a"}, map[string]string{"q": "b"}, "z") })
	mustPanic("blank key", func() { IntOption(" test.only.w", 1, "w") })
}

package config

import (
	"errors"
	"slices"
	"testing"
)

func configOf(t *testing.T, pairs ...string) *Config {
	t.Helper()
	c := New()
	if err := c.SetPairs(pairs); err != nil {
		t.Fatalf("SetPairs(%q): %v", pairs, err)
	}
	return c
}

func TestCheckUnsupported(t *testing.T) {
	const (
		incremental = `invalid value "true" for option execution.checkpointing.incremental: the hashmap backend takes full checkpoints only; set state.backend.type: pebble for incremental ones`
		unaligned   = `invalid value "true" for option execution.checkpointing.unaligned.enabled: unaligned checkpoints are not supported yet`
		local       = `invalid value "true" for option execution.state-recovery.from-local: local recovery is done by the pebble backend only; set state.backend.type: pebble, or drop this option`
	)
	for _, tc := range []struct {
		name  string
		pairs []string
		want  []string // the joined errors' lines, in order
	}{
		{"defaults", nil, nil},
		{"incremental on hashmap", []string{"execution.checkpointing.incremental=true"}, []string{incremental}},
		{"incremental by its deprecated key", []string{"state.backend.incremental=true"}, []string{incremental}},
		{"incremental on pebble", []string{"execution.checkpointing.incremental=true", "state.backend.type=pebble"}, nil},
		{"unaligned", []string{"execution.checkpointing.unaligned.enabled=true"}, []string{unaligned}},
		{"unaligned on pebble", []string{"execution.checkpointing.unaligned.enabled=true", "state.backend.type=pebble"}, []string{unaligned}},
		{"local recovery on hashmap", []string{"execution.state-recovery.from-local=true"}, []string{local}},
		{"local recovery on pebble", []string{"execution.state-recovery.from-local=true", "state.backend.type=rocksdb"}, nil},
		{"all three", []string{"execution.checkpointing.incremental=true", "execution.checkpointing.unaligned.enabled=true",
			"execution.state-recovery.from-local=true"}, []string{incremental, unaligned, local}},
		{"false is fine", []string{"execution.checkpointing.incremental=false", "execution.checkpointing.unaligned.enabled=false",
			"execution.state-recovery.from-local=false"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckUnsupported(configOf(t, tc.pairs...))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckUnsupported = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckUnsupported = nil, want %q", tc.want)
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var cerr *Error
				if !errors.As(e, &cerr) || !errors.Is(e, ErrInvalidValue) {
					t.Errorf("%v is not a *Error wrapping ErrInvalidValue", e)
				}
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("CheckUnsupported:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	if err := CheckUnsupported(nil); err != nil {
		t.Fatalf("CheckUnsupported(nil) = %v", err)
	}
}

func TestUnused(t *testing.T) {
	const (
		cluster  = " is set but has no effect: heartbeats take effect only in a cluster of separate processes (weir jobmanager and weir taskmanager)"
		floating = "taskmanager.network.memory.floating-buffers-per-gate is set but has no effect: Weir's network stack gives each input channel only its exclusive buffers (taskmanager.network.memory.buffers-per-channel) and has no floating buffers yet"
		submit   = "web.submit.enable is set but has no effect: Weir's REST API has no job upload endpoint; jobs are started with weir run"
	)
	for _, tc := range []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"defaults", nil, nil},
		{"options that take effect", []string{"parallelism.default=4", "execution.checkpointing.interval=1 s",
			"taskmanager.network.memory.buffers-per-channel=4", "web.submit.enable=false"}, nil},
		{"heartbeats", []string{"heartbeat.timeout=60 s", "heartbeat.interval=5 s"},
			[]string{"heartbeat.interval" + cluster, "heartbeat.timeout" + cluster}},
		{"heartbeat set to its default", []string{"heartbeat.interval=10 s"}, []string{"heartbeat.interval" + cluster}},
		{"floating buffers", []string{"taskmanager.network.memory.floating-buffers-per-gate=1"}, []string{floating}},
		{"web submit", []string{"web.submit.enable=true"}, []string{submit}},
		{"web submit by its deprecated key", []string{"jobmanager.web.submit.enable=true"}, []string{submit}},

		{"restart options of the chosen strategy", []string{"restart-strategy.type=fixeddelay",
			"restart-strategy.fixed-delay.attempts=3", "restart-strategy.fixed-delay.delay=1 s"}, nil},
		{"restart options of another strategy", []string{"restart-strategy.type=failure-rate",
			"restart-strategy.fixed-delay.attempts=3"},
			[]string{"restart-strategy.fixed-delay.attempts is set but has no effect: it applies to restart-strategy.type fixed-delay, and this job's is failure-rate"}},
		{"restart options with restarts disabled", []string{"restart-strategy.type=none",
			"restart-strategy.exponential-delay.jitter-factor=0"},
			[]string{"restart-strategy.exponential-delay.jitter-factor is set but has no effect: it applies to restart-strategy.type exponential-delay, and this job's is disable"}},
		{"exponential options with the type unset", []string{"execution.checkpointing.interval=1 s",
			"restart-strategy.exponential-delay.max-backoff=5 min"},
			[]string{"restart-strategy.exponential-delay.max-backoff is set but has no effect: restart-strategy.type is unset, so the job restarts by exponential-delay with its default settings (Flink's rule); set restart-strategy.type: exponential-delay to use it"}},
		{"restart options with the type unset and no checkpointing", []string{"restart-strategy.failure-rate.delay=5 s"},
			[]string{"restart-strategy.failure-rate.delay is set but has no effect: restart-strategy.type is unset and checkpointing is off, so the job does not restart; set restart-strategy.type: failure-rate to use it"}},

		{"pebble options on hashmap", []string{"state.backend.rocksdb.localdir=/tmp/x", "state.backend.pebble.state-cache.size=1 mb"},
			[]string{
				"state.backend.pebble.state-cache.size is set but has no effect: it applies to the pebble state backend, and state.backend.type is hashmap",
				"state.backend.rocksdb.localdir is set but has no effect: it applies to the pebble state backend, and state.backend.type is hashmap",
			}},
		{"pebble options on pebble", []string{"state.backend.type=pebble", "state.backend.rocksdb.localdir=/tmp/x",
			"state.backend.rocksdb.writebuffer.size=8 mb", "state.backend.rocksdb.block.cache-size=8 mb"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Unused(configOf(t, tc.pairs...))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Unused:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	if got := Unused(nil); got != nil {
		t.Fatalf("Unused(nil) = %q", got)
	}
}

func TestRestartStrategyDefaults(t *testing.T) {
	if got := DefaultRestartStrategy(true); got != RestartExponentialDelay {
		t.Errorf("DefaultRestartStrategy(true) = %q", got)
	}
	if got := DefaultRestartStrategy(false); got != RestartDisable {
		t.Errorf("DefaultRestartStrategy(false) = %q", got)
	}
	for _, tc := range []struct {
		pairs []string
		want  string
	}{
		{nil, RestartDisable},
		{[]string{"execution.checkpointing.interval=1 s"}, RestartExponentialDelay},
		{[]string{"execution.checkpointing.interval=1 s", "restart-strategy.type=off"}, RestartDisable},
		{[]string{"restart-strategy=FailureRate"}, RestartFailureRate},
	} {
		if got := RestartStrategyType(configOf(t, tc.pairs...)); got != tc.want {
			t.Errorf("RestartStrategyType(%q) = %q, want %q", tc.pairs, got, tc.want)
		}
	}
}

func TestOptionParse(t *testing.T) {
	if v, err := RestartStrategy.Parse(" FixedDelay "); err != nil || v != RestartFixedDelay {
		t.Fatalf("Parse(FixedDelay) = %q, %v", v, err)
	}
	if v, err := FixedDelayDelay.Parse("1m30s"); err != nil || v.String() != "1m30s" {
		t.Fatalf("Parse(1m30s) = %v, %v", v, err)
	}
	_, err := FixedDelayAttempts.Parse("-1")
	const want = `invalid value "-1" for option restart-strategy.fixed-delay.attempts: must be at least 0`
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Parse(-1) error = %v, want %q wrapping ErrInvalidValue", err, want)
	}
}

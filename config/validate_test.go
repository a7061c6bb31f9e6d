package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		pairs []string
		want  []string // substrings, one per expected conflict; none = valid
	}{
		{name: "defaults", pairs: nil},
		{name: "typical job", pairs: []string{
			"execution.checkpointing.interval=10 s", "execution.checkpointing.unaligned.enabled=true",
			"execution.checkpointing.aligned-checkpoint-timeout=30 s", "restart-strategy.type=fixed-delay",
		}},
		{name: "heartbeat timeout below interval", pairs: []string{"heartbeat.interval=10 s", "heartbeat.timeout=5 s"},
			want: []string{"conflicting options heartbeat.timeout=5 s, heartbeat.interval=10 s: heartbeat.timeout must be at least heartbeat.interval"}},
		{name: "heartbeat timeout equal to interval is Flink-legal", pairs: []string{"heartbeat.interval=10 s", "heartbeat.timeout=10 s"}},
		{name: "exponential max below initial (explicit type)", pairs: []string{
			"restart-strategy.type=exponential-delay",
			"restart-strategy.exponential-delay.initial-backoff=10 s",
			"restart-strategy.exponential-delay.max-backoff=5 s",
		}, want: []string{"conflicting options restart-strategy.exponential-delay.max-backoff=5 s, " +
			"restart-strategy.exponential-delay.initial-backoff=10 s: the maximum backoff must be at least the initial backoff"}},
		{name: "exponential max below initial (default type with checkpointing)", pairs: []string{
			"execution.checkpointing.interval=1 min",
			"restart-strategy.exponential-delay.initial-backoff=2 min",
		}, want: []string{"the maximum backoff must be at least the initial backoff"}},
		{name: "exponential options ignored for another strategy", pairs: []string{
			"restart-strategy.type=fixed-delay",
			"restart-strategy.exponential-delay.initial-backoff=2 min",
		}},
		{name: "at-least-once with unaligned", pairs: []string{
			"execution.checkpointing.mode=AT_LEAST_ONCE", "execution.checkpointing.unaligned.enabled=true",
		}, want: []string{"conflicting options execution.checkpointing.mode=AT_LEAST_ONCE, " +
			"execution.checkpointing.unaligned.enabled=true: unaligned checkpoints require execution.checkpointing.mode EXACTLY_ONCE"}},
		{name: "concurrent checkpoints with unaligned", pairs: []string{
			"execution.checkpointing.max-concurrent-checkpoints=2", "execution.checkpointing.unaligned=true",
		}, want: []string{"unaligned checkpoints require execution.checkpointing.max-concurrent-checkpoints 1"}},
		{name: "concurrent checkpoints aligned is fine", pairs: []string{"execution.checkpointing.max-concurrent-checkpoints=2"}},
		{name: "aligned timeout without unaligned", pairs: []string{"execution.checkpointing.aligned-checkpoint-timeout=5 s"},
			want: []string{"conflicting options execution.checkpointing.aligned-checkpoint-timeout=5 s, " +
				"execution.checkpointing.unaligned.enabled=false: an aligned-checkpoint timeout only applies when " +
				"execution.checkpointing.unaligned.enabled is true"}},
		{name: "zero aligned timeout without unaligned", pairs: []string{"execution.checkpointing.aligned-checkpoint-timeout=0"}},
		{name: "timeout below interval is not an error", pairs: []string{
			"execution.checkpointing.interval=10 min", "execution.checkpointing.timeout=1 min",
		}},
		{name: "min-pause above interval is not an error", pairs: []string{
			"execution.checkpointing.interval=1 s", "execution.checkpointing.min-pause=1 min",
		}},
		{name: "several at once", pairs: []string{
			"heartbeat.timeout=1 s", "execution.checkpointing.mode=at_least_once",
			"execution.checkpointing.unaligned.enabled=true", "execution.checkpointing.max-concurrent-checkpoints=3",
		}, want: []string{
			"heartbeat.timeout must be at least heartbeat.interval",
			"require execution.checkpointing.mode EXACTLY_ONCE",
			"require execution.checkpointing.max-concurrent-checkpoints 1",
		}},
	}
	for _, tt := range tests {
		c := New()
		if err := c.SetPairs(tt.pairs); err != nil {
			t.Fatalf("%s: SetPairs: %v", tt.name, err)
		}
		err := c.Validate()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%s: unexpected error: %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !errors.Is(err, ErrConflict) {
			t.Errorf("%s: does not wrap ErrConflict", tt.name)
		}
		var ce *ConflictError
		if !errors.As(err, &ce) || len(ce.Settings) == 0 {
			t.Errorf("%s: no *ConflictError", tt.name)
		}
		if n := strings.Count(err.Error(), "conflicting options"); n != len(tt.want) {
			t.Errorf("%s: %d conflicts, want %d:\n%v", tt.name, n, len(tt.want), err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%v\nlacks %q", tt.name, err, w)
			}
		}
	}
}

package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeYAML(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadYAMLNestedFlatAndMixed(t *testing.T) {
	p := writeYAML(t, `
# Flink-style config.yaml
parallelism:
  default: 4
execution:
  checkpointing:
    interval: 10 s
    mode: at_least_once
  buffer-timeout.interval: 5ms
execution.checkpointing.timeout: "2 min"
state.checkpoints.dir: s3://bucket/cp     # deprecated key
state:
  backend:
    type: heap
restart-strategy:
  type: exponentialdelay
  exponential-delay:
    backoff-multiplier: 2
    jitter-factor: 0.25
taskmanager.memory.segment-size: 64kb
web.submit.enable: FALSE
rest.bind-address:            # null: stays unset
pipeline.name: ""
`)
	c := New()
	if err := c.LoadYAML(p); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"parallelism", Get(c, DefaultParallelism) == 4},
		{"interval", Get(c, CheckpointingInterval) == 10*time.Second},
		{"mode", Get(c, CheckpointingMode) == AtLeastOnce},
		{"buffer timeout", Get(c, BufferTimeoutInterval) == 5*time.Millisecond},
		{"timeout", Get(c, CheckpointingTimeout) == 2*time.Minute},
		{"dir", Get(c, CheckpointsDirectory) == "s3://bucket/cp"},
		{"backend", Get(c, StateBackendType) == HashMapBackend},
		{"restart", Get(c, RestartStrategy) == RestartExponentialDelay},
		{"multiplier", Get(c, ExponentialDelayBackoffMultiplier) == 2},
		{"jitter", Get(c, ExponentialDelayJitterFactor) == 0.25},
		{"segment", Get(c, MemorySegmentSize) == 64<<10},
		{"submit", !Get(c, WebSubmitEnable)},
		{"pipeline name set to empty", func() bool { v, set := Lookup(c, PipelineName); return set && v == "" }()},
		{"bind address unset", func() bool { _, set := Lookup(c, RestBindAddress); return !set }()},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: wrong value; config = %s", ch.name, c)
		}
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
		is      []error
	}{
		{
			name:    "bad value names file, line and key",
			content: "rest.port: 8081\nparallelism:\n  default: abc\n",
			want:    []string{`config.yaml:3: invalid value "abc" for option parallelism.default: not an integer`},
			is:      []error{ErrInvalidValue},
		},
		{
			name:    "unknown key with suggestion",
			content: "paralelism.default: 2\n",
			want:    []string{`config.yaml:1: unknown option "paralelism.default" (did you mean "parallelism.default"?)`},
			is:      []error{ErrUnknownOption},
		},
		{
			name:    "unknown nested key",
			content: "execution:\n  checkpointing:\n    intervall: 10 s\n",
			want:    []string{`config.yaml:3: unknown option "execution.checkpointing.intervall" (did you mean "execution.checkpointing.interval"?)`},
			is:      []error{ErrUnknownOption},
		},
		{
			name:    "all problems reported",
			content: "rest.port: x\nheartbeat.interval: -1 s\n",
			want: []string{
				`config.yaml:1: invalid value "x" for option rest.port: not an integer`,
				`config.yaml:2: invalid value "-1 s" for option heartbeat.interval`,
			},
			is: []error{ErrInvalidValue},
		},
		{
			name:    "list value",
			content: "parallelism.default: [1, 2]\n",
			want:    []string{`config.yaml:1: invalid value "" for option parallelism.default: a single value is required here, not a list or other structure`},
			is:      []error{ErrInvalidValue},
		},
		{
			name:    "same option twice via alias",
			content: "execution.checkpointing.dir: /a\nstate:\n  checkpoints:\n    dir: /b\n",
			want:    []string{`config.yaml:4: option state.checkpoints.dir (alias of execution.checkpointing.dir) is already set on line 1`},
		},
		{
			name:    "top level not a map",
			content: "- a\n- b\n",
			want:    []string{`config.yaml:1: the top level must be a map of option keys to values`},
		},
		{
			name:    "syntax error",
			content: "a: [\n",
			want:    []string{"config: parsing ", "config.yaml: yaml:"},
		},
	}
	for _, tt := range tests {
		p := writeYAML(t, tt.content)
		c := New()
		_ = c.Set("pipeline.name", "before")
		err := c.LoadYAML(p)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%v\nlacks %q", tt.name, err, w)
			}
		}
		if !strings.Contains(err.Error(), p) && !strings.Contains(err.Error(), "config.yaml") {
			t.Errorf("%s: error does not name the file: %v", tt.name, err)
		}
		for _, target := range tt.is {
			if !errors.Is(err, target) {
				t.Errorf("%s: errors.Is(%v) false", tt.name, target)
			}
		}
		var e *Error
		if len(tt.is) > 0 && !errors.As(err, &e) {
			t.Errorf("%s: no *Error inside", tt.name)
		}
		if got := c.String(); got != "pipeline.name=before" {
			t.Errorf("%s: failed load changed the config: %s", tt.name, got)
		}
	}
}

func TestLoadYAMLMissingAndEmpty(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	err := New().LoadYAML(missing)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	for _, content := range []string{"", "# only a comment\n", "~\n"} {
		c := New()
		if err := c.LoadYAML(writeYAML(t, content)); err != nil || len(c.Keys()) != 0 {
			t.Errorf("empty file %q: %v, %v", content, err, c)
		}
	}
	c := New()
	if err := c.LoadYAMLBytes("inline", []byte("rest.port: 0\n")); err != nil || Get(c, RestPort) != 0 {
		t.Errorf("LoadYAMLBytes: %v", err)
	}
	err = New().LoadYAMLBytes("inline", []byte("rest.port: x\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "inline:1: ") {
		t.Errorf("LoadYAMLBytes error: %v", err)
	}
}

func TestLoadYAMLOverridesEarlierSettings(t *testing.T) {
	c := New()
	_ = c.Set("parallelism.default", "2")
	_ = c.Set("rest.port", "9000")
	if err := c.LoadYAML(writeYAML(t, "parallelism.default: 6\n")); err != nil {
		t.Fatal(err)
	}
	if Get(c, DefaultParallelism) != 6 || Get(c, RestPort) != 9000 {
		t.Errorf("after load: %s", c)
	}
}

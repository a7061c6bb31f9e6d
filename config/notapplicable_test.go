package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Flink's shipped config.yaml loads: the keys that have no effect on a Weir
// run get one warning each, saying why; the ones that do are taken.
func TestFlinkDefaultConfigLoads(t *testing.T) {
	c := New()
	if err := c.LoadYAML("testdata/flink-default-config.yaml"); err != nil {
		t.Fatalf("LoadYAML(Flink's default config.yaml): %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := CheckUnsupported(c); err != nil {
		t.Fatalf("CheckUnsupported: %v", err)
	}
	if Get(c, DefaultParallelism) != 1 || Get(c, RestAddress) != "localhost" || EffectiveRestBindAddress(c) != "localhost" {
		t.Fatalf("the options that apply were not taken: %s", c)
	}
	const (
		memory  = " is set but has no effect: Weir runs as one Go process whose memory the Go runtime manages; there are no JVM memory pools to size (to cap the process's memory, set the GOMEMLIMIT environment variable)"
		address = " is set but has no effect: the job manager and the tasks run in this one process and do not talk over RPC; the REST API listens on rest.bind-address and rest.port (weir jobmanager and weir taskmanager use it)"
	)
	want := []string{
		"env.java.opts.all is set but has no effect: Weir is a Go program, not a JVM: there are no Java options or class loaders",
		"jobmanager.bind-host" + address,
		"jobmanager.execution.failover-strategy is set but has no effect: Weir restarts every task of the job after a failure, as Flink's full strategy does; region failover is not implemented (the job still recovers from its latest checkpoint)",
		"jobmanager.memory.process.size" + memory,
		"jobmanager.rpc.address" + address,
		"jobmanager.rpc.port" + address,
		"taskmanager.bind-host" + address,
		"taskmanager.host" + address,
		"taskmanager.memory.process.size" + memory,
		"taskmanager.numberOfTaskSlots is set but has no effect: a local run has no task managers or slots: every subtask runs in this process, as many as parallelism.default (or -p) asks for (weir taskmanager offers slots to a cluster)",
	}
	if got := Unused(c); !slices.Equal(got, want) {
		t.Fatalf("Unused:\n got %q\nwant %q", got, want)
	}
}

func TestNotApplicableOptions(t *testing.T) {
	const rpc = " is set but has no effect: Weir has no actor system (Flink's RPC on Pekko, Akka before Flink 1.18), so nothing waits on this setting"
	for _, tc := range []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"akka under its old name", []string{"akka.ask.timeout=10 s", "akka.framesize=10485760b"},
			[]string{"pekko.ask.timeout" + rpc, "pekko.framesize" + rpc}},
		{"pekko", []string{"pekko.tcp.timeout=20 s"}, []string{"pekko.tcp.timeout" + rpc}},
		{"full failover is what Weir does", []string{"jobmanager.execution.failover-strategy=FULL"}, nil},
		{"managed memory", []string{"taskmanager.memory.managed.fraction=0.4"}, []string{
			"taskmanager.memory.managed.fraction is set but has no effect: Weir has no managed memory; the pebble state backend's caches are sized by state.backend.rocksdb.block.cache-size and state.backend.rocksdb.writebuffer.size"}},
		{"network memory", []string{"taskmanager.memory.network.max=1gb"}, []string{
			"taskmanager.memory.network.max is set but has no effect: Weir gives each input channel taskmanager.network.memory.buffers-per-channel buffers of taskmanager.memory.segment-size instead of carving a network pool out of a memory budget"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unused(configOf(t, tc.pairs...)); !slices.Equal(got, tc.want) {
				t.Fatalf("Unused:\n got %q\nwant %q", got, tc.want)
			}
		})
	}

	// Their values are still checked with Flink's types.
	for pair, want := range map[string]string{
		"taskmanager.memory.process.size=lots":             `invalid value "lots" for option taskmanager.memory.process.size`,
		"taskmanager.numberOfTaskSlots=0":                  `invalid value "0" for option taskmanager.numberOfTaskSlots: must be at least 1`,
		"jobmanager.execution.failover-strategy=pipelined": `invalid value "pipelined" for option jobmanager.execution.failover-strategy`,
		"akka.ask.timeout=soon":                            `invalid value "soon" for option akka.ask.timeout`,
	} {
		err := New().SetPairs([]string{pair})
		if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrInvalidValue) {
			t.Errorf("SetPairs(%q) = %v, want %q...", pair, err, want)
		}
	}

	// Keys Weir does not know are refused still, with the nearest known one.
	for key, want := range map[string]string{
		"taskmanager.numberOfTaskSlot":   `unknown option "taskmanager.numberOfTaskSlot" (did you mean "taskmanager.numberOfTaskSlots"?)`,
		"taskmanager.memory.proces.size": `unknown option "taskmanager.memory.proces.size" (did you mean "taskmanager.memory.process.size"?)`,
		"high-availability.type":         `unknown option "high-availability.type"`,
	} {
		err := loadYAMLText(key + ": x\n")
		if err == nil || !strings.HasSuffix(err.Error(), want) || !errors.Is(err, ErrUnknownOption) {
			t.Errorf("loading %s: %v, want ...%q", key, err, want)
		}
	}
}

func loadYAMLText(yaml string) error { return New().LoadYAMLBytes("config.yaml", []byte(yaml)) }

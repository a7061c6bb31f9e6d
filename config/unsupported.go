package config

import (
	"errors"
	"sort"
)

// CheckUnsupported refuses options that Weir knows but cannot carry out,
// so that a job never runs believing it has them. Each refusal is an
// *Error (wrapping ErrInvalidValue) naming the option and saying what to do
// instead; all of them are returned together with errors.Join, or nil.
//
// The refusals:
//
//   - execution.checkpointing.incremental with the hashmap backend, which
//     takes full checkpoints only;
//   - execution.checkpointing.unaligned.enabled, not implemented yet;
//   - execution.state-recovery.from-local with the hashmap backend, since
//     only the pebble backend keeps a local copy of its state.
//
// Options that are accepted but merely have no effect are not refused here
// (refusing them would stop jobs that run today); Unused reports them as
// warnings.
func CheckUnsupported(c *Config) error {
	var errs []error
	refuse := func(key, value, why string) {
		errs = append(errs, &Error{Key: key, Value: value, Reason: why})
	}
	heap := Get(c, StateBackendType) == HashMapBackend
	if heap && Get(c, IncrementalCheckpoints) {
		refuse(IncrementalCheckpoints.Key(), "true", "the hashmap backend takes full checkpoints only; set state.backend.type: pebble for incremental ones")
	}
	if Get(c, UnalignedCheckpointsEnabled) {
		refuse(UnalignedCheckpointsEnabled.Key(), "true", "unaligned checkpoints are not supported yet")
	}
	if heap && Get(c, LocalRecovery) {
		refuse(LocalRecovery.Key(), "true", "local recovery is done by the pebble backend only; set state.backend.type: pebble, or drop this option")
	}
	return errors.Join(errs...)
}

// Unused returns one line for each explicitly set option that will have no
// effect on this run, sorted by key; nil when there is none. The caller logs
// them as warnings. They are warnings rather than refusals because every
// one of these settings is harmless and some are normal in a Flink
// config.yaml; refusing them would stop jobs that run today. What counts:
//
//   - options Weir declares (for Flink compatibility, or for later work)
//     but does not read at all: heartbeat.interval and heartbeat.timeout
//     (they need a cluster of separate processes, which Weir does not run
//     yet), taskmanager.network.memory.floating-buffers-per-gate (the
//     network stack has exclusive buffers only) and web.submit.enable when
//     set to true (the REST API has no upload endpoint);
//   - restart-strategy.<strategy>.* options of a strategy other than the
//     one restart-strategy.type selects; with the type unset, all of them,
//     since the default strategy runs with its defaults (see
//     DefaultRestartStrategy);
//   - options of the pebble backend while state.backend.type is hashmap;
//   - Flink's options for what a Weir run does not have (JVM memory pools,
//     task slots, RPC addresses and ports, the actor system's timeouts,
//     Java options; see notapplicable.go), so that Flink's shipped
//     config.yaml loads with one warning per such key instead of being
//     refused; jobmanager.execution.failover-strategy only when it is
//     region, since Weir's failover is Flink's full strategy.
func Unused(c *Config) []string { return unused(c, false) }

// UnusedInCluster is Unused for a cluster's job manager or task manager,
// where the options of a cluster (addresses, slots, heartbeats) apply.
func UnusedInCluster(c *Config) []string { return unused(c, true) }

func unused(c *Config, cluster bool) []string {
	var out []string
	for _, key := range c.Keys() {
		if cluster && clusterKeys[key] {
			continue
		}
		if why := unusedReason(c, key); why != "" {
			out = append(out, key+" is set but has no effect: "+why)
		}
	}
	sort.Strings(out)
	return out
}

// unusedReason says why the explicitly set option key has no effect, or ""
// if it has one.
func unusedReason(c *Config, key string) string {
	switch key {
	case HeartbeatInterval.Key(), HeartbeatTimeout.Key():
		return "heartbeats take effect only in a cluster of separate processes (weir jobmanager and weir taskmanager)"
	case FloatingBuffersPerGate.Key():
		return "Weir's network stack gives each input channel only its exclusive buffers (" +
			BuffersPerChannel.Key() + ") and has no floating buffers yet"
	case WebSubmitEnable.Key():
		if Get(c, WebSubmitEnable) {
			return "Weir's REST API has no job upload endpoint; jobs are started with weir run"
		}
		return ""
	}
	if key == failoverStrategyKey {
		if v, _ := c.raw(key); v != "region" {
			return ""
		}
	}
	if why, ok := notApplicable[key]; ok {
		return why
	}
	if strategy, ok := restartOptionStrategy(key); ok {
		return restartUnusedReason(c, strategy)
	}
	for _, k := range pebbleOnlyKeys() {
		if key == k && Get(c, StateBackendType) != PebbleBackend {
			return "it applies to the pebble state backend, and " + StateBackendType.Key() + " is " + Get(c, StateBackendType)
		}
	}
	return ""
}

// restartUnusedReason says why an option of strategy has no effect under
// the configured restart strategy, or "" if that strategy reads it.
func restartUnusedReason(c *Config, strategy string) string {
	typ, set := Lookup(c, RestartStrategy)
	switch {
	case set && typ == strategy:
		return ""
	case set:
		return "it applies to " + RestartStrategy.Key() + " " + strategy + ", and this job's is " + typ
	case CheckpointingEnabled(c):
		return RestartStrategy.Key() + " is unset, so the job restarts by " + RestartExponentialDelay +
			" with its default settings (Flink's rule); set " + RestartStrategy.Key() + ": " + strategy + " to use it"
	default:
		return RestartStrategy.Key() + " is unset and checkpointing is off, so the job does not restart; set " +
			RestartStrategy.Key() + ": " + strategy + " to use it"
	}
}

// restartOptionStrategy returns the restart strategy whose option key is.
func restartOptionStrategy(key string) (string, bool) {
	byStrategy := map[string][]string{
		RestartFixedDelay: {FixedDelayAttempts.Key(), FixedDelayDelay.Key()},
		RestartFailureRate: {FailureRateMaxFailuresPerInterval.Key(), FailureRateInterval.Key(),
			FailureRateDelay.Key()},
		RestartExponentialDelay: {ExponentialDelayInitialBackoff.Key(), ExponentialDelayMaxBackoff.Key(),
			ExponentialDelayBackoffMultiplier.Key(), ExponentialDelayResetBackoffThreshold.Key(),
			ExponentialDelayJitterFactor.Key(), ExponentialDelayAttemptsBeforeResetBackoff.Key()},
	}
	for strategy, keys := range byStrategy {
		for _, k := range keys {
			if k == key {
				return strategy, true
			}
		}
	}
	return "", false
}

// pebbleOnlyKeys are the options only the pebble state backend reads.
func pebbleOnlyKeys() []string {
	return []string{PebbleLocalDir.Key(), PebbleWriteBufferSize.Key(), PebbleBlockCacheSize.Key(),
		PebbleStateCacheSize.Key()}
}

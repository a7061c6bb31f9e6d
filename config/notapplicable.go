package config

// Flink options that Weir knows and accepts, so that Flink's shipped
// config.yaml (and a cluster's own copy of it) loads unchanged, but that
// have no effect on a Weir run: they size JVM memory pools, address Flink's
// RPC endpoints and task slots, or tune its actor system. Each is parsed and
// checked with Flink's type, and Unused gives one warning for each that is
// set, with the reason recorded here. Keys Weir does not know at all are
// still refused with a suggestion.
//
// They are not exported: nothing in Weir reads their values.

// Reasons, one per kind of option.
const (
	naProcessMemory = "Weir runs as one Go process whose memory the Go runtime manages; there are no JVM " +
		"memory pools to size (to cap the process's memory, set the GOMEMLIMIT environment variable)"
	naManagedMemory = "Weir has no managed memory; the pebble state backend's caches are sized by " +
		"state.backend.rocksdb.block.cache-size and state.backend.rocksdb.writebuffer.size"
	naNetworkMemory = "Weir gives each input channel taskmanager.network.memory.buffers-per-channel buffers of " +
		"taskmanager.memory.segment-size instead of carving a network pool out of a memory budget"
	naSlots = "a local run has no task managers or slots: every subtask runs in this process, as many as " +
		"parallelism.default (or -p) asks for (weir taskmanager offers slots to a cluster)"
	naAddress = "the job manager and the tasks run in this one process and do not talk over RPC; the REST API " +
		"listens on rest.bind-address and rest.port (weir jobmanager and weir taskmanager use it)"
	naRPC = "Weir has no actor system (Flink's RPC on Pekko, Akka before Flink 1.18), so nothing waits on " +
		"this setting"
	naJVM     = "Weir is a Go program, not a JVM: there are no Java options or class loaders"
	naRegions = "Weir restarts every task of the job after a failure, as Flink's full strategy does; region " +
		"failover is not implemented (the job still recovers from its latest checkpoint)"
)

// notApplicable maps the canonical key of each such option to the reason
// Unused gives. Declaring it registers the options.
var notApplicable = declareNotApplicable()

func declareNotApplicable() map[string]string {
	reasons := map[string]string{}
	desc := func(flink, reason string) string {
		return "Flink's " + flink + ". Accepted so that a Flink config.yaml loads; has no effect in Weir, " +
			"and a warning says so: " + reason + "."
	}
	size := func(key, flink, reason string) {
		reasons[OptionalMemorySizeOption(key, desc(flink, reason)).Key()] = reason
	}
	fraction := func(key string, def float64, flink, reason string) {
		reasons[FloatOption(key, def, desc(flink, reason), Between(0.0, 1.0)).Key()] = reason
	}
	text := func(key, flink, reason string) {
		reasons[OptionalStringOption(key, desc(flink, reason)).Key()] = reason
	}

	// Memory: TaskManagerOptions and JobManagerOptions.
	for _, o := range []struct{ key, flink string }{
		{"taskmanager.memory.process.size", "TaskManagerOptions.TOTAL_PROCESS_MEMORY"},
		{"taskmanager.memory.flink.size", "TaskManagerOptions.TOTAL_FLINK_MEMORY"},
		{"taskmanager.memory.framework.heap.size", "TaskManagerOptions.FRAMEWORK_HEAP_MEMORY"},
		{"taskmanager.memory.framework.off-heap.size", "TaskManagerOptions.FRAMEWORK_OFF_HEAP_MEMORY"},
		{"taskmanager.memory.task.heap.size", "TaskManagerOptions.TASK_HEAP_MEMORY"},
		{"taskmanager.memory.task.off-heap.size", "TaskManagerOptions.TASK_OFF_HEAP_MEMORY"},
		{"taskmanager.memory.jvm-metaspace.size", "TaskManagerOptions.JVM_METASPACE"},
		{"taskmanager.memory.jvm-overhead.min", "TaskManagerOptions.JVM_OVERHEAD_MIN"},
		{"taskmanager.memory.jvm-overhead.max", "TaskManagerOptions.JVM_OVERHEAD_MAX"},
		{"jobmanager.memory.process.size", "JobManagerOptions.TOTAL_PROCESS_MEMORY"},
		{"jobmanager.memory.flink.size", "JobManagerOptions.TOTAL_FLINK_MEMORY"},
		{"jobmanager.memory.heap.size", "JobManagerOptions.JVM_HEAP_MEMORY"},
		{"jobmanager.memory.off-heap.size", "JobManagerOptions.OFF_HEAP_MEMORY"},
		{"jobmanager.memory.jvm-metaspace.size", "JobManagerOptions.JVM_METASPACE"},
		{"jobmanager.memory.jvm-overhead.min", "JobManagerOptions.JVM_OVERHEAD_MIN"},
		{"jobmanager.memory.jvm-overhead.max", "JobManagerOptions.JVM_OVERHEAD_MAX"},
	} {
		size(o.key, o.flink, naProcessMemory)
	}
	fraction("taskmanager.memory.jvm-overhead.fraction", 0.1, "TaskManagerOptions.JVM_OVERHEAD_FRACTION", naProcessMemory)
	fraction("jobmanager.memory.jvm-overhead.fraction", 0.1, "JobManagerOptions.JVM_OVERHEAD_FRACTION", naProcessMemory)
	size("taskmanager.memory.managed.size", "TaskManagerOptions.MANAGED_MEMORY_SIZE", naManagedMemory)
	fraction("taskmanager.memory.managed.fraction", 0.4, "TaskManagerOptions.MANAGED_MEMORY_FRACTION", naManagedMemory)
	size("taskmanager.memory.network.min", "TaskManagerOptions.NETWORK_MEMORY_MIN", naNetworkMemory)
	size("taskmanager.memory.network.max", "TaskManagerOptions.NETWORK_MEMORY_MAX", naNetworkMemory)
	fraction("taskmanager.memory.network.fraction", 0.1, "TaskManagerOptions.NETWORK_MEMORY_FRACTION", naNetworkMemory)

	// Slots, addresses and ports of a cluster: declared in cluster.go, as
	// weir jobmanager and weir taskmanager read them; a local run warns.
	for _, k := range []string{JobManagerRPCAddress.Key(), JobManagerRPCPort.Key(), TaskManagerHost.Key()} {
		reasons[k] = naAddress
	}
	reasons[TaskManagerSlots.Key()] = naSlots
	text("jobmanager.bind-host", "JobManagerOptions.BIND_HOST", naAddress)
	text("taskmanager.bind-host", "TaskManagerOptions.BIND_HOST", naAddress)

	// The actor system: RpcOptions, under their akka.* names before Flink 1.18.
	for _, name := range []string{"ask.timeout", "lookup.timeout", "tcp.timeout", "startup-timeout"} {
		reasons[OptionalDurationOption("pekko."+name, desc("RpcOptions (pekko."+name+")", naRPC)).
			WithAliases("akka."+name).Key()] = naRPC
	}
	reasons[OptionalMemorySizeOption("pekko.framesize", desc("RpcOptions.FRAMESIZE", naRPC)).
		WithAliases("akka.framesize").Key()] = naRPC

	// The JVM: CoreOptions.
	text("env.java.opts.all", "CoreOptions.FLINK_JVM_OPTIONS", naJVM)
	text("env.java.opts.jobmanager", "CoreOptions.FLINK_JM_JVM_OPTIONS", naJVM)
	text("env.java.opts.taskmanager", "CoreOptions.FLINK_TM_JVM_OPTIONS", naJVM)
	reasons[OptionalEnumOption("classloader.resolve-order", []string{"child-first", "parent-first"}, nil,
		desc("CoreOptions.CLASSLOADER_RESOLVE_ORDER", naJVM)).Key()] = naJVM

	// Failover: Weir's is Flink's full strategy, so only region has no
	// effect (unusedReason checks the value).
	reasons[OptionalEnumOption(failoverStrategyKey, []string{"full", "region"}, nil,
		"Flink's JobManagerOptions.EXECUTION_FAILOVER_STRATEGY (default region). Accepted so that a Flink "+
			"config.yaml loads. full is what Weir does; region has no effect in Weir, and a warning says so: "+
			naRegions+".").Key()] = naRegions
	return reasons
}

// failoverStrategyKey is Flink's jobmanager.execution.failover-strategy.
const failoverStrategyKey = "jobmanager.execution.failover-strategy"

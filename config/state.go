package config

// Values of state.backend.type.
const (
	// HashMapBackend keeps state as objects on the heap (Flink's
	// HashMapStateBackend).
	HashMapBackend = "hashmap"
	// PebbleBackend keeps state in an embedded LSM store on local disk,
	// Weir's counterpart of Flink's EmbeddedRocksDBStateBackend.
	PebbleBackend = "pebble"
)

// State backend options.
var (
	// StateBackendType selects where keyed state lives.
	StateBackendType = EnumOption("state.backend.type", HashMapBackend,
		[]string{HashMapBackend, PebbleBackend},
		map[string]string{"heap": HashMapBackend, "rocksdb": PebbleBackend},
		"The state backend: hashmap (state on the heap; also accepted as heap) or pebble (an embedded "+
			"on-disk LSM store; Flink's rocksdb is accepted and means pebble). Default from Flink's "+
			"StateBackendOptions.STATE_BACKEND (deprecated key state.backend).").
		WithAliases("state.backend")

	// LocalRecovery enables recovery from a task-local copy of state.
	LocalRecovery = BoolOption("execution.state-recovery.from-local", false,
		"Whether to recover keyed state from a local copy kept by the worker instead of downloading it from "+
			"the checkpoint directory, where one exists. Default from Flink's StateRecoveryOptions.LOCAL_RECOVERY; "+
			"Flink 1.x's key state.backend.local-recovery is accepted.").
		WithAliases("state.backend.local-recovery")

	// HeapMemoryBudget caps the memory the hashmap backend may use before
	// it reports memory pressure. Weir-only.
	HeapMemoryBudget = OptionalMemorySizeOption("state.backend.heap.memory-budget",
		"Weir-only (no Flink equivalent): the memory the hashmap state backend may use for state. "+
			"Unset means derived from the memory available to the process.",
		SizeAtLeast(1))
)

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

	// PebbleLocalDir is where pebble databases live.
	PebbleLocalDir = OptionalStringOption("state.backend.rocksdb.localdir",
		"The local directory under which the pebble backend keeps its databases and local checkpoint copies, "+
			"one subdirectory per job run, deleted when the job ends. Unset means the system's temporary "+
			"directory. Flink's key for RocksDB (RocksDBOptions.LOCAL_DIRECTORIES); one directory only.")

	// PebbleWriteBufferSize is the memtable size of each pebble database.
	PebbleWriteBufferSize = MemorySizeOption("state.backend.rocksdb.writebuffer.size", 64<<20,
		"The memtable size of each pebble database: writes collect there before they are flushed to an SST, "+
			"and each checkpoint flushes it, so it bounds the synchronous part of a checkpoint. Default from "+
			"Flink's RocksDBConfigurableOptions.WRITE_BUFFER_SIZE.", SizeAtLeast(64<<10))

	// PebbleBlockCacheSize is the block cache of each pebble database.
	PebbleBlockCacheSize = MemorySizeOption("state.backend.rocksdb.block.cache-size", 64<<20,
		"The block cache of each pebble database (uncompressed blocks of SSTs kept in memory for reads). "+
			"Flink's key (RocksDBConfigurableOptions.BLOCK_CACHE_SIZE); Flink's 8 MB default applies only when "+
			"RocksDB does not use managed memory, which by default it does, so Weir defaults to 64 MB: a "+
			"random read-modify-write over 1 M keys took 16.6 us with 8 MB and 3.5 us with 256 MB "+
			"(docs/benchmarks.md).", SizeAtLeast(0))

	// PebbleStateCacheSize bounds the pebble backend's write-back cache.
	PebbleStateCacheSize = MemorySizeOption("state.backend.pebble.state-cache.size", 32<<20,
		"Weir-only (no Flink equivalent): the memory of each pebble database's write-back cache of recently "+
			"used state entries, in front of the memtable and the SSTs, so that a key read or written again soon "+
			"costs a map lookup. Its dirty entries are written in one batch when it is full and before every "+
			"checkpoint. 0 is not allowed; use a small size to turn it nearly off.", SizeAtLeast(4<<10))

	// HeapMemoryBudget caps the memory the hashmap backend may use before
	// it reports memory pressure. Weir-only.
	HeapMemoryBudget = OptionalMemorySizeOption("state.backend.heap.memory-budget",
		"Weir-only (no Flink equivalent): the memory the hashmap state backend may use for state. "+
			"Unset means derived from the memory available to the process.",
		SizeAtLeast(1))
)

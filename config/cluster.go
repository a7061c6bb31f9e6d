package config

// The task managers of the embedded local run.
var (
	// MiniClusterTaskManagers is how many task managers the embedded local
	// run starts in its process.
	MiniClusterTaskManagers = IntOption("minicluster.number-of-taskmanagers", 1,
		"Number of task managers the embedded local run starts in its process. With more than one, "+
			"subtask i of every vertex runs on task manager i mod N and records between task managers "+
			"travel over loopback TCP connections (the cluster's data plane, credits and all), so that "+
			"a job can be tried, tested and measured over the network on one machine. "+
			"Default from Flink's TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS "+
			"(deprecated key local.number-taskmanager).",
		AtLeast(1)).WithAliases("local.number-taskmanager")
)

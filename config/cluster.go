package config

import "time"

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

// The job manager and task managers of a cluster (weir jobmanager, weir
// taskmanager). A local run accepts them with a warning that they have no
// effect there.
var (
	JobManagerRPCAddress = StringOption("jobmanager.rpc.address", "127.0.0.1",
		"Address the job manager listens on for its task managers (weir jobmanager), and task managers "+
			"connect to when --jobmanager is not given. Flink's JobManagerOptions.ADDRESS; Flink has no default, "+
			"Weir binds to the loopback interface so that nothing is exposed unless asked.")
	JobManagerRPCPort = IntOption("jobmanager.rpc.port", 6123,
		"Port of the job manager's control endpoint; 0 picks a free one (logged). Default from Flink's "+
			"JobManagerOptions.PORT.", Between(0, 65535))
	TaskManagerSlots = IntOption("taskmanager.numberOfTaskSlots", 1,
		"Number of slots a task manager offers; a slot runs one subtask of every vertex (Flink's default "+
			"slot sharing), so a job of parallelism p needs p slots. Default from Flink's "+
			"TaskManagerOptions.NUM_TASK_SLOTS.", AtLeast(1))
	TaskManagerHost = StringOption("taskmanager.host", "127.0.0.1",
		"Address a task manager binds its data port to and announces to its peers. Flink's "+
			"TaskManagerOptions.HOST; Flink has no default, Weir binds to the loopback interface so that "+
			"nothing is exposed unless asked.")
	TaskManagerDataPort = IntOption("taskmanager.data.port", 0,
		"Port of a task manager's data connections; 0 (Flink's default, NettyShuffleEnvironmentOptions.DATA_PORT) "+
			"picks a free one.", Between(0, 65535))
	SlotRequestTimeout = DurationOption("slot.request.timeout", 5*time.Minute,
		"How long the job manager waits for task managers to offer the slots a job needs before the "+
			"attempt fails (the restart strategy then decides). Default from Flink's "+
			"JobManagerOptions.SLOT_REQUEST_TIMEOUT.", GreaterThan(time.Duration(0)))
)

// clusterKeys are the options that take effect in a cluster only.
var clusterKeys = map[string]bool{
	JobManagerRPCAddress.Key(): true, JobManagerRPCPort.Key(): true, TaskManagerSlots.Key(): true,
	TaskManagerHost.Key(): true, TaskManagerDataPort.Key(): true, SlotRequestTimeout.Key(): true,
	HeartbeatInterval.Key(): true, HeartbeatTimeout.Key(): true,
}

// Mutual TLS between a cluster's processes (Flink's internal SSL, with PEM
// files instead of Java key stores).
var (
	InternalSSLEnabled = BoolOption("security.ssl.internal.enabled", false,
		"Use mutual TLS on the control connections between job manager and task managers and on the data "+
			"connections between task managers: each side presents security.ssl.internal.cert and accepts only "+
			"peers whose certificate security.ssl.internal.trust-cert signed. Flink's "+
			"SecurityOptions.SSL_INTERNAL_ENABLED (default false).")
	InternalSSLCert = OptionalStringOption("security.ssl.internal.cert",
		"PEM file with this process's certificate (and its chain) for security.ssl.internal.enabled. "+
			"Weir's counterpart of Flink's security.ssl.internal.keystore.")
	InternalSSLKey = OptionalStringOption("security.ssl.internal.key",
		"PEM file with the private key of security.ssl.internal.cert. Weir's counterpart of Flink's "+
			"security.ssl.internal.key-password and keystore.")
	InternalSSLTrustCert = OptionalStringOption("security.ssl.internal.trust-cert",
		"PEM file with the certificate(s) of the authority that signs every cluster process's certificate. "+
			"Weir's counterpart of Flink's security.ssl.internal.truststore.")
	TaskManagerRegistrationTimeout = DurationOption("taskmanager.registration.timeout", 5*time.Minute,
		"How long a task manager keeps trying to register with its job manager before it gives up (exit 1). "+
			"Default from Flink's TaskManagerOptions.REGISTRATION_TIMEOUT.", GreaterThan(time.Duration(0)))
)

func init() {
	for _, o := range []string{InternalSSLEnabled.Key(), InternalSSLCert.Key(), InternalSSLKey.Key(),
		InternalSSLTrustCert.Key(), TaskManagerRegistrationTimeout.Key()} {
		clusterKeys[o] = true
	}
}

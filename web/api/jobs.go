package api

// Overview is GET /overview, after Flink's ClusterOverviewWithVersion.
type Overview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	JobsFinished   int    `json:"jobs-finished"`
	JobsCancelled  int    `json:"jobs-cancelled"`
	JobsFailed     int    `json:"jobs-failed"`
	WeirVersion    string `json:"weir-version"`
	WeirCommit     string `json:"weir-commit"`
	// FlinkVersion is the Flink release whose REST API Weir answers as
	// (FlinkVersion); FlinkCommit is Weir's own revision, as WeirCommit.
	FlinkVersion string `json:"flink-version"`
	FlinkCommit  string `json:"flink-commit"`
}

// FlinkVersion is the Flink release whose REST API Weir's answers follow,
// for tools (the Flink Kubernetes operator, dashboards) that read
// flink-version from /overview and /config.
const FlinkVersion = "1.20.0"

// DashboardConfig is GET /config, after Flink's DashboardConfiguration.
// Features says which of the dashboard's optional actions the server
// allows (web-submit, web-cancel, web-rescale, web-history).
type DashboardConfig struct {
	RefreshInterval int64  `json:"refresh-interval"`
	TimezoneName    string `json:"timezone-name"`
	TimezoneOffset  int64  `json:"timezone-offset"`
	WeirVersion     string `json:"weir-version"`
	WeirRevision    string `json:"weir-revision"`
	// FlinkVersion and FlinkRevision are as Overview's FlinkVersion and
	// FlinkCommit.
	FlinkVersion  string         `json:"flink-version"`
	FlinkRevision string         `json:"flink-revision"`
	Features      map[string]any `json:"features"`
}

// JobList is GET /jobs, after Flink's JobIdsWithStatusOverview.
type JobList struct {
	Jobs []JobID `json:"jobs"`
}

// JobID is one job of a JobList: its ID and Flink's JobStatus name.
type JobID struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// JobsOverview is GET /jobs/overview, after Flink's MultipleJobsDetails.
type JobsOverview struct {
	Jobs []JobOverview `json:"jobs"`
}

// JobOverview is one job of a JobsOverview, after Flink's JobDetails.
// Tasks counts the job's subtasks by lowercase ExecutionState name, with a
// "total".
type JobOverview struct {
	JID              string         `json:"jid"`
	Name             string         `json:"name"`
	State            string         `json:"state"`
	StartTime        int64          `json:"start-time"`
	EndTime          int64          `json:"end-time"`
	Duration         int64          `json:"duration"`
	LastModification int64          `json:"last-modification"`
	Tasks            map[string]int `json:"tasks"`
}

// IOMetrics is Flink's IOMetricsInfo (records only: Weir does not count
// bytes) with the task metrics Weir samples every second, under Flink's
// metric names.
type IOMetrics struct {
	ReadRecords          int64 `json:"read-records"`
	ReadRecordsComplete  bool  `json:"read-records-complete"`
	WriteRecords         int64 `json:"write-records"`
	WriteRecordsComplete bool  `json:"write-records-complete"`

	// Weir: the sampled rates and shares of time.
	RecordsInPerSecond           float64 `json:"numRecordsInPerSecond"`
	RecordsOutPerSecond          float64 `json:"numRecordsOutPerSecond"`
	BusyTimeMsPerSecond          float64 `json:"busyTimeMsPerSecond"`
	BackPressuredTimeMsPerSecond float64 `json:"backPressuredTimeMsPerSecond"`
	IdleTimeMsPerSecond          float64 `json:"idleTimeMsPerSecond"`
	OutPoolUsage                 float64 `json:"outPoolUsage"`
}

// JobDetails is GET /jobs/:jobid, after Flink's JobDetailsInfo. Vertices
// are in the job's order, upstream first.
type JobDetails struct {
	JID            string           `json:"jid"`
	Name           string           `json:"name"`
	IsStoppable    bool             `json:"isStoppable"`
	State          string           `json:"state"`
	JobType        string           `json:"job-type"`
	StartTime      int64            `json:"start-time"`
	EndTime        int64            `json:"end-time"`
	Duration       int64            `json:"duration"`
	MaxParallelism int              `json:"maxParallelism"`
	Now            int64            `json:"now"`
	Timestamps     map[string]int64 `json:"timestamps"`
	Vertices       []JobVertex      `json:"vertices"`
	StatusCounts   map[string]int   `json:"status-counts"`
	Plan           Plan             `json:"plan"`
	// Weir: restarts so far.
	Restarts int `json:"restarts"`
}

// JobVertex is one vertex of JobDetails, after Flink's
// JobVertexDetailsInfo. Tasks counts its subtasks by ExecutionState name;
// Metrics sums the records of its subtasks and takes the highest of their
// shares of time.
type JobVertex struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	MaxParallelism int            `json:"maxParallelism"`
	Parallelism    int            `json:"parallelism"`
	Status         string         `json:"status"`
	StartTime      int64          `json:"start-time"`
	EndTime        int64          `json:"end-time"`
	Duration       int64          `json:"duration"`
	Tasks          map[string]int `json:"tasks"`
	Metrics        IOMetrics      `json:"metrics"`
}

// JobPlan is GET /jobs/:jobid/plan, after Flink's JobPlanInfo.
type JobPlan struct {
	Plan Plan `json:"plan"`
}

// Plan is a job's graph, after Flink's JSON plan.
type Plan struct {
	JID   string     `json:"jid"`
	Name  string     `json:"name"`
	Type  string     `json:"type"`
	Nodes []PlanNode `json:"nodes"`
}

// PlanNode is one vertex of a Plan.
type PlanNode struct {
	ID                  string      `json:"id"`
	Parallelism         int         `json:"parallelism"`
	Operator            string      `json:"operator"`
	OperatorStrategy    string      `json:"operator_strategy"`
	Description         string      `json:"description"`
	Inputs              []PlanInput `json:"inputs,omitempty"`
	OptimizerProperties struct{}    `json:"optimizer_properties"`
	// Weir: the chained operators, head first, with their UIDs.
	Operators []Operator `json:"operators"`
}

// PlanInput is an edge into a PlanNode from the vertex ID names;
// ShipStrategy is the partitioning (FORWARD, REBALANCE, HASH, ...).
type PlanInput struct {
	Num          int    `json:"num"`
	ID           string `json:"id"`
	ShipStrategy string `json:"ship_strategy"`
	Exchange     string `json:"exchange"`
}

// Operator is one operator of a chain. Weir's; Flink has none.
type Operator struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// VertexDetails is GET /jobs/:jobid/vertices/:vertexid, after Flink's
// JobVertexDetailsInfo.
type VertexDetails struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	MaxParallelism int              `json:"maxParallelism"`
	Parallelism    int              `json:"parallelism"`
	Now            int64            `json:"now"`
	Subtasks       []SubtaskDetails `json:"subtasks"`
	// Weir: the chained operators, head first.
	Operators []Operator `json:"operators"`
}

// SubtaskDetails is one subtask of VertexDetails, after Flink's
// SubtaskExecutionAttemptDetailsInfo.
type SubtaskDetails struct {
	Subtask       int       `json:"subtask"`
	Status        string    `json:"status"`
	Attempt       int       `json:"attempt"`
	Endpoint      string    `json:"endpoint"`
	StartTime     int64     `json:"start-time"`
	EndTime       int64     `json:"end-time"`
	Duration      int64     `json:"duration"`
	Metrics       IOMetrics `json:"metrics"`
	TaskManagerID string    `json:"taskmanager-id"`
}

// Backpressure is GET /jobs/:jobid/vertices/:vertexid/backpressure, after
// Flink's JobVertexBackPressureInfo. Levels are "ok", "low" and "high".
type Backpressure struct {
	Status            string                `json:"status"`
	BackpressureLevel string                `json:"backpressure-level"`
	EndTimestamp      int64                 `json:"end-timestamp"`
	Subtasks          []SubtaskBackpressure `json:"subtasks"`
}

// SubtaskBackpressure is one subtask of Backpressure; the ratios are
// shares of time, 0 to 1.
type SubtaskBackpressure struct {
	Subtask           int     `json:"subtask"`
	AttemptNumber     int     `json:"attempt-number"`
	BackpressureLevel string  `json:"backpressure-level"`
	Ratio             float64 `json:"ratio"`
	IdleRatio         float64 `json:"idleRatio"`
	BusyRatio         float64 `json:"busyRatio"`
}

// JobExceptions is GET /jobs/:jobid/exceptions, after Flink's
// JobExceptionsInfoWithHistory. RootException and Timestamp are null when
// the job has not failed.
type JobExceptions struct {
	RootException    *string          `json:"root-exception"`
	Timestamp        *int64           `json:"timestamp"`
	AllExceptions    []TaskException  `json:"all-exceptions"`
	Truncated        bool             `json:"truncated"`
	ExceptionHistory ExceptionHistory `json:"exceptionHistory"`
}

// TaskException is a failure pinned to a task, after Flink's
// ExecutionExceptionInfo.
type TaskException struct {
	Exception     string `json:"exception"`
	Task          string `json:"task"`
	Location      string `json:"location"`
	Timestamp     int64  `json:"timestamp"`
	TaskManagerID string `json:"taskManagerId"`
}

// ExceptionHistory lists the job's failures, newest first.
type ExceptionHistory struct {
	Entries   []ExceptionEntry `json:"entries"`
	Truncated bool             `json:"truncated"`
}

// ExceptionEntry is one failure of an ExceptionHistory, after Flink's
// RootExceptionInfo. TaskName, Endpoint and TaskManagerID are null for a
// failure not pinned to a task.
type ExceptionEntry struct {
	ExceptionName        string            `json:"exceptionName"`
	Stacktrace           string            `json:"stacktrace"`
	Timestamp            int64             `json:"timestamp"`
	TaskName             *string           `json:"taskName"`
	Endpoint             *string           `json:"endpoint"`
	TaskManagerID        *string           `json:"taskManagerId"`
	FailureLabels        map[string]string `json:"failureLabels"`
	ConcurrentExceptions []ExceptionEntry  `json:"concurrentExceptions"`
	// Weir: the attempt that failed (0 for the first run), and whether the
	// failure ended the job.
	Attempt int  `json:"attempt"`
	Final   bool `json:"final"`
	// Weir: the failure's chain of causes, each error's own words, in the
	// order of a Java stack trace's "Caused by:" lines: the outermost
	// error first, the root cause last (cluster.CauseChain). Go errors
	// carry no stack trace; Stacktrace holds the whole message.
	Causes []string `json:"causes"`
}

// JobStatus is GET /jobs/:jobid/status, after Flink's JobStatusInfo.
type JobStatus struct {
	Status string `json:"status"`
}

// JobConfig is GET /jobs/:jobid/config, after Flink's JobConfigInfo.
type JobConfig struct {
	JID             string          `json:"jid"`
	Name            string          `json:"name"`
	ExecutionConfig ExecutionConfig `json:"execution-config"`
}

// ExecutionConfig is Flink's ExecutionConfigInfo. UserConfig holds the
// options set for the job (Flink: the global job parameters), secrets
// masked.
type ExecutionConfig struct {
	ExecutionMode   string            `json:"execution-mode"`
	RestartStrategy string            `json:"restart-strategy"`
	JobParallelism  int               `json:"job-parallelism"`
	ObjectReuseMode bool              `json:"object-reuse-mode"`
	UserConfig      map[string]string `json:"user-config"`
	// Weir: pipeline.max-parallelism, the number of key groups.
	MaxParallelism int `json:"max-parallelism"`
}

// JobExecutionResult is GET /jobs/:jobid/execution-result, after Flink's
// JobExecutionResultResponseBody: Status.ID is IN_PROGRESS while the job
// runs, when Result is absent, and COMPLETED once it has ended.
type JobExecutionResult struct {
	Status QueueStatus `json:"status"`
	Result *JobResult  `json:"job-execution-result,omitempty"`
}

// QueueStatus is Flink's QueueStatus of an asynchronous operation:
// IN_PROGRESS or COMPLETED.
type QueueStatus struct {
	ID string `json:"id"`
}

// JobResult is the end of a job, after Flink's JobResult as its REST
// serializer writes it. ApplicationStatus is SUCCEEDED, FAILED or
// CANCELED; NetRuntime is the job's duration in milliseconds;
// FailureCause is there for a failed job only.
type JobResult struct {
	ID                 string            `json:"id"`
	ApplicationStatus  string            `json:"application-status"`
	AccumulatorResults map[string]string `json:"accumulator-results"`
	NetRuntime         int64             `json:"net-runtime"`
	FailureCause       *ThrowableInfo    `json:"failure-cause,omitempty"`
}

// ThrowableInfo is Flink's SerializedThrowable as its REST serializer writes
// it, less the Java-serialized throwable: Class is the failure's first line
// (a Go error has no class), StackTrace its whole message.
type ThrowableInfo struct {
	Class      string `json:"class"`
	StackTrace string `json:"stack-trace"`
}

// SubtasksTimes is GET /jobs/:jobid/vertices/:vertexid/subtasktimes, after
// Flink's SubtasksTimesInfo.
type SubtasksTimes struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Now      int64         `json:"now"`
	Subtasks []SubtaskTime `json:"subtasks"`
}

// SubtaskTime is one subtask of SubtasksTimes, after Flink's
// SubtaskTimeInfo: Timestamps holds when the subtask entered each
// ExecutionState, 0 for a state it has not been in.
type SubtaskTime struct {
	Subtask    int              `json:"subtask"`
	Host       string           `json:"host"`
	Endpoint   string           `json:"endpoint"`
	Duration   int64            `json:"duration"`
	Timestamps map[string]int64 `json:"timestamps"`
}

// TaskManagers is GET /taskmanagers.
type TaskManagers struct {
	TaskManagers []TaskManager `json:"taskmanagers"`
}

// TaskManager is one task manager, with the fields of Flink's
// TaskManagerInfo (GET /taskmanagers and /taskmanagers/:tmid).
// TimeSinceLastHeartbeat is, as in Flink, the time of the last heartbeat
// in epoch milliseconds, despite its name.
type TaskManager struct {
	ID                     string   `json:"id"`
	Path                   string   `json:"path"`
	DataPort               int      `json:"dataPort"`
	JmxPort                int      `json:"jmxPort"`
	TimeSinceLastHeartbeat int64    `json:"timeSinceLastHeartbeat"`
	SlotsNumber            int      `json:"slotsNumber"`
	FreeSlots              int      `json:"freeSlots"`
	Hardware               Hardware `json:"hardware"`
}

// Hardware is a task manager's hardware description, as Flink's.
type Hardware struct {
	CPUCores       int   `json:"cpuCores"`
	PhysicalMemory int64 `json:"physicalMemory"`
	FreeMemory     int64 `json:"freeMemory"`
	ManagedMemory  int64 `json:"managedMemory"`
}

// VertexTaskManagers is GET /jobs/:jobid/vertices/:vertexid/taskmanagers,
// after Flink's JobVertexTaskManagersInfo.
type VertexTaskManagers struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Now          int64               `json:"now"`
	TaskManagers []VertexTaskManager `json:"taskmanagers"`
}

// VertexTaskManager is one task manager's share of a vertex: its subtasks'
// figures summed, and (Weir) which subtasks they are.
type VertexTaskManager struct {
	Endpoint      string         `json:"endpoint"`
	TaskManagerID string         `json:"taskmanager-id"`
	Status        string         `json:"status"`
	StartTime     int64          `json:"start-time"`
	EndTime       int64          `json:"end-time"`
	Duration      int64          `json:"duration"`
	Metrics       IOMetrics      `json:"metrics"`
	StatusCounts  map[string]int `json:"status-counts"`
	Subtasks      []int          `json:"subtasks"`
}

package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"connectrpc.com/connect"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/state"
)

// The control plane between the job manager and its task managers is one
// bidirectional stream per task manager (sessionProcedure), carried by
// connect over HTTP/2: the task manager opens it, registers, and from then
// on each side sends messages as they arise: the job manager deploys,
// starts, triggers, notifies and fails attempts; the task manager reports
// deployments, acknowledgements, declines, the end of input, failures, the
// end of each attempt and its subtasks' figures. Both sides send
// heartbeats on goroutines of their own, never behind a task's work. The
// messages are plain Go structs in JSON (jsonCodec): the two ends are the
// same binary, so there is no schema to evolve across versions, and
// protobuf code generation would buy nothing but a build step.
const sessionProcedure = "/weir.cluster.v1.JobManager/Session"

// tmMessage is what a task manager sends; exactly one field is set.
type tmMessage struct {
	Register    *registration  `json:"register,omitempty"`
	Heartbeat   bool           `json:"heartbeat,omitempty"`
	Deployed    *attemptResult `json:"deployed,omitempty"`
	Ack         *ackMessage    `json:"ack,omitempty"`
	Decline     *declineMsg    `json:"decline,omitempty"`
	InputsEnded string         `json:"inputsEnded,omitempty"`
	Failed      *attemptResult `json:"failed,omitempty"`
	Ended       *attemptResult `json:"ended,omitempty"`
	Status      *statusMessage `json:"status,omitempty"`
}

// jmMessage is what the job manager sends; exactly one field is set.
type jmMessage struct {
	Registered  *registered      `json:"registered,omitempty"`
	Heartbeat   bool             `json:"heartbeat,omitempty"`
	Deploy      *deployMessage   `json:"deploy,omitempty"`
	Start       string           `json:"start,omitempty"`
	Trigger     *checkpointOrder `json:"trigger,omitempty"`
	Notify      *checkpointOrder `json:"notify,omitempty"`
	Abort       *checkpointOrder `json:"abort,omitempty"`
	CommitFinal string           `json:"commitFinal,omitempty"`
	Fail        *attemptResult   `json:"fail,omitempty"`
	Shutdown    string           `json:"shutdown,omitempty"` // the reason
	// SentAt is when the job manager sent the message: a task manager
	// that reads messages that waited in its socket while it was stopped
	// does not take them for signs of a live job manager.
	SentAt time.Time `json:"sentAt"`
}

type registration struct {
	ID       string   `json:"id"`
	Host     string   `json:"host"`
	DataAddr string   `json:"dataAddr"`
	Slots    int      `json:"slots"`
	Hardware hardware `json:"hardware"`
}

type hardware struct {
	CPUCores       int   `json:"cpuCores"`
	PhysicalMemory int64 `json:"physicalMemory"`
	FreeMemory     int64 `json:"freeMemory"`
}

type registered struct {
	HeartbeatInterval time.Duration `json:"heartbeatInterval"`
	HeartbeatTimeout  time.Duration `json:"heartbeatTimeout"`
}

// deployMessage asks a task manager to wire its part of an attempt: it
// builds the job's graph from the same command line (application mode),
// and runs the subtasks that Place gives it.
type deployMessage struct {
	Attempt string `json:"attempt"`
	// Job names the job and its arguments, as the task manager's build
	// function takes them; Config is the job's configuration.
	Job    string            `json:"job"`
	Args   []string          `json:"args"`
	Config map[string]string `json:"config"`
	// Name is the job's name as the job manager runs it (its checkpoint
	// directory).
	Name string `json:"name"`
	// Peers are the data addresses of the attempt's task managers; Self is
	// this one's index; Place[s] is the index of the task manager running
	// subtask s of every vertex.
	Peers []string `json:"peers"`
	Self  int      `json:"self"`
	Place []int    `json:"place"`
	// What the job manager decided for the attempt.
	Checkpointing bool                            `json:"checkpointing"`
	Mode          checkpoint.Mode                 `json:"mode"`
	Restore       *checkpoint.CompletedCheckpoint `json:"restore,omitempty"`
	RestoreNewest int64                           `json:"restoreNewest"`
	// RestorePath, when the job started from another job's checkpoint, is
	// where its state is read from (the --from-checkpoint argument).
	RestorePath string `json:"restorePath,omitempty"`
	// Probe, with a local checkpoint directory, is a file the job manager
	// wrote there: a task manager that cannot read it does not see the
	// same directory and refuses the deployment.
	Probe *probe `json:"probe,omitempty"`
}

type probe struct {
	Path  string `json:"path"`
	Token string `json:"token"`
}

type attemptResult struct {
	Attempt string     `json:"attempt"`
	Err     *wireError `json:"err,omitempty"`
}

type ackMessage struct {
	Attempt string          `json:"attempt"`
	Ack     *checkpoint.Ack `json:"ack"`
}

type declineMsg struct {
	Attempt    string                `json:"attempt"`
	Checkpoint checkpoint.ID         `json:"checkpoint"`
	Task       checkpoint.SubtaskKey `json:"task"`
	Cause      *wireError            `json:"cause"`
	At         time.Time             `json:"at"`
}

type checkpointOrder struct {
	Attempt string    `json:"attempt"`
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
}

type statusMessage struct {
	Attempt  string               `json:"attempt"`
	Vertices []graph.VertexStatus `json:"vertices"`
}

// wireError carries an error across the control plane: its words, and
// which of the sentinels the receiving side acts on it wraps.
type wireError struct {
	Msg   string   `json:"msg"`
	Kinds []string `json:"kinds,omitempty"`
}

// wireSentinels are the errors whose identity survives the trip: the job
// manager's failover and the checkpoint coordinator decide by them.
var wireSentinels = map[string]error{
	"canceled":             context.Canceled,
	"task-stuck":           runtime.ErrTaskStuck,
	"heap-budget":          state.ErrHeapBudget,
	"storage":              ErrStorage,
	"data-connection":      runtime.ErrDataConnection,
	"task-not-ready":       checkpoint.ErrTaskNotReady,
	"task-closing":         checkpoint.ErrTaskClosing,
	"end-of-input":         checkpoint.ErrEndOfInput,
	"barrier-subsumed":     checkpoint.ErrBarrierSubsumed,
	"cancellation-barrier": checkpoint.ErrCancellationBarrier,
	"async-snapshot":       checkpoint.ErrAsyncSnapshot,
	"not-all-running":      checkpoint.ErrNotAllTasksRunning,
	"taskmanager-lost":     ErrTaskManagerLost,
	"dir-not-shared":       ErrCheckpointDirNotShared,
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error()}
	for k, s := range wireSentinels {
		if errors.Is(err, s) {
			w.Kinds = append(w.Kinds, k)
		}
	}
	return w
}

// remoteError is an error that came over the control plane.
type remoteError struct {
	msg   string
	kinds []error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	e := &remoteError{msg: w.Msg}
	for _, k := range w.Kinds {
		if s, ok := wireSentinels[k]; ok {
			e.kinds = append(e.kinds, s)
		}
	}
	return e
}

// jsonCodec is connect's codec for the control plane's plain structs.
type jsonCodec struct{}

func (jsonCodec) Name() string                       { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// controlClient is the HTTP/2 client a task manager reaches the job
// manager with: TLS when tlsConf is set, else HTTP/2 without TLS (h2c).
func controlClient(tlsConf *tls.Config) *http.Client {
	t := &http.Transport{
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 15 * time.Second}).DialContext,
		TLSClientConfig:   tlsConf,
		ForceAttemptHTTP2: true,
	}
	var p http.Protocols
	if tlsConf != nil {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	t.Protocols = &p
	return &http.Client{Transport: t}
}

func newSessionClient(addr string, tlsConf *tls.Config) *connect.Client[tmMessage, jmMessage] {
	scheme := "http://"
	if tlsConf != nil {
		scheme = "https://"
	}
	return connect.NewClient[tmMessage, jmMessage](controlClient(tlsConf), scheme+addr+sessionProcedure, connect.WithCodec(jsonCodec{}))
}

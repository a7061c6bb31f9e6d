// Command weir runs Weir's built-in jobs on the embedded local runtime and
// carries the operator tools. It holds flags and wiring only: the jobs live
// in package jobs, the engine in the root package and runtime.
//
// Exit codes: 0 success; 1 the job failed (one line on standard error names
// the operator, the subtask and the cause); 2 the command line or the
// configuration was refused before anything ran.
package main

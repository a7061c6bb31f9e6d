// Command weir runs Weir's built-in jobs on the embedded local runtime and
// carries the operator tools. It holds flags and wiring only: the jobs live
// in package jobs, the engine in the root package and runtime, and the
// command line every job shares (the common flags, signals, the web server,
// the exit codes below) in package cli, which a user's own program uses the
// same way (cli.Main).
//
// Exit codes, for people and supervisors (one line on standard error says
// what happened):
//
//   - 0: the job finished (or the command succeeded).
//   - 1: the job failed and the restart strategy gave up, or checkpoint
//     storage could not be reached (reading the checkpoint to restore is
//     retried under the restart strategy first; a fresh start exits at
//     once): running it again may succeed.
//   - 2: refused before anything ran, for a reason running it again cannot
//     change: a bad flag or option (an unknown execution.checkpointing.dir
//     scheme, a checkpoint directory that is a file, a second process
//     running a job of the same name in one directory); a checkpoint that
//     is missing, damaged or another job's (other sources or operators);
//     --from-checkpoint latest when the job has no checkpoint (use
//     latest-or-fresh to start fresh then) or when it finished (start it
//     without --from-checkpoint to run it again); newest checkpoints
//     damaged with execution.checkpointing.fallback: refuse. Also, while
//     running, an input file that is not what its checkpoint read
//     (truncated, replaced or rewritten) or a line of one longer than
//     source.max-record-size: the same input fails the same way.
//   - 3: the job finished, but output may repeat: it restored an older
//     checkpoint than the newest that committed (falling back past damaged
//     ones, or one named by path) and a sink that cannot take back (print,
//     say; the file sink does) may have written that output twice. The
//     line names the sinks and the checkpoints. Do not run it again.
//   - 130: stopped by Ctrl-C (SIGINT), after the job was cancelled cleanly
//     ("weir: job NAME cancelled"). SIGTERM, a supervisor's stop, and a
//     cancel through the REST API end the same way with exit code 1.
//
// An unknown command or subcommand (weir bogus, weir run nosuchjob) is
// refused with one line and exit code 2, as a bad flag is.
//
// docs/checkpoints.md has the same table.
package main

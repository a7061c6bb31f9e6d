// Package cli is the command line of a Weir job: the one entry point that
// gives a user's own Go program what `weir run JOB` gives the built-in jobs.
//
// A user's main is one call:
//
//	func main() {
//		cli.Main("my-job", func(env *weir.Environment, args []string) error {
//			// declare sources, operators and sinks on env
//			return nil
//		})
//	}
//
// or, with flags of the job's own, cli.Job{...}.Main(). The program then
// takes the same flags as `weir run JOB` (-D key=value, --config FILE,
// -p N, --from-checkpoint PATH|latest|latest-or-fresh,
// --allow-non-restored-state, --web HOST:PORT, --no-web, --log-level,
// --log-format, --help), serves the REST API, metrics and dashboard while
// the job runs, cancels the job cleanly on Ctrl-C or SIGTERM, prints an
// error as one line "NAME: ..." on standard error, writes the job's
// archive for `weir history-server` when it ends and
// jobmanager.archive.fs.dir is set (a failure to write it is a warning
// only), and exits with the documented codes:
//
//   - 0: the job finished.
//   - 1: the job failed and the restart strategy gave up, or it was
//     stopped by SIGTERM or a cancel through the REST API.
//   - 2: refused before anything ran, for a reason running it again cannot
//     change (a bad flag or option, an error from the job's build function,
//     a checkpoint that cannot be restored), or an input that changed under
//     its checkpoint.
//   - 3: the job finished, but output may repeat (it restored an older
//     checkpoint than the newest, with a sink that cannot take back).
//   - 130: stopped by Ctrl-C (SIGINT) after a clean cancel.
//
// The package owns that machinery: the common flags (Flags), building the
// Environment from them, running the job with signal handling and the web
// server (Flags.Execute), the mapping of errors to exit codes (ExitCode)
// and the version a build reports (Version). cmd/weir uses it for its
// built-in jobs and benchmarks, so there is one path. The root package weir
// does not import it.
package cli

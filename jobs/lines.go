package jobs

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/connector/print"
	"github.com/weirstream/weir/connector/socket"
)

// ErrBadOption marks an option a built-in job refuses before it runs.
var ErrBadOption = errors.New("bad option")

// Lines declares the text source the built-in jobs read: a file or a
// directory of files, or socket://HOST:PORT (not parallel, so the stream's
// parallelism is 1), throttled to rate lines per second when rate > 0. The
// source's UID is "source". socket says whether input is a socket. Lines
// longer than source.max-record-size fail the source.
func Lines(env *weir.Environment, input string, rate float64) (lines weir.DataStream[string], socket bool, err error) {
	var src weir.Source[string]
	name := "Lines"
	maxRecord := config.Get(env.Config(), config.SourceMaxRecordSize)
	switch {
	case strings.HasPrefix(input, "socket://"):
		host, portText, err := net.SplitHostPort(strings.TrimPrefix(input, "socket://"))
		port, perr := strconv.Atoi(portText)
		if err != nil || perr != nil || port <= 0 || port > 65535 {
			return lines, false, fmt.Errorf("%w: --input %q: want socket://HOST:PORT", ErrBadOption, input)
		}
		src, name, socket = socketSource(host, port).WithMaxRecordSize(maxRecord), "Socket", true
	case input == "":
		return lines, false, fmt.Errorf("%w: --input is required (a file, a directory or socket://HOST:PORT)", ErrBadOption)
	default:
		local, err := file.LocalPath(input)
		if err != nil {
			return lines, false, fmt.Errorf("%w: --input %q: %w, or socket://HOST:PORT", ErrBadOption, input, err)
		}
		if _, err := os.Stat(local); err != nil {
			return lines, false, fmt.Errorf("%w: --input: %w", ErrBadOption, err)
		}
		src = file.NewSource(input).WithMaxRecordSize(maxRecord)
	}
	if rate < 0 {
		return lines, false, fmt.Errorf("%w: --rate %v: must not be negative", ErrBadOption, rate)
	}
	if rate > 0 {
		src = connector.RateLimit(src, rate)
	}
	lines = weir.FromSource(env, src, name).UID("source")
	if socket {
		lines = lines.SetParallelism(1)
	}
	return lines, socket, nil
}

func socketSource(host string, port int) *socket.Source { return socket.New(host, port, "\n") }

// Output declares the sink the built-in jobs write their lines to: "-" for
// standard output (one line per record, no subtask prefix), "discard", or a
// local directory of part files or an s3:// location (exactly-once with
// checkpoints; see file.LocalPath and file.NewS3Sink: a URL other than
// file:// and s3:// is refused). The sink's UID is "sink".
func Output(s weir.DataStream[string], output string) error {
	switch output {
	case "-":
		s.SinkTo(print.New[string](os.Stdout, nil, print.WithoutPrefix()), "Print").UID("sink")
	case "discard":
		s.SinkTo(discard.New[string](), "Discard").UID("sink")
	case "":
		return fmt.Errorf("%w: --output is required (-, discard, a directory or s3://bucket/prefix)", ErrBadOption)
	default:
		if file.IsS3(output) {
			sink := file.NewS3Sink(output)
			if err := sink.Check(); err != nil {
				return fmt.Errorf("%w: --output: %w", ErrBadOption, err)
			}
			s.SinkTo(sink, "Files").UID("sink")
			return nil
		}
		if _, err := file.LocalPath(output); err != nil {
			return fmt.Errorf("%w: --output %q: %w, s3://bucket/prefix, - or discard", ErrBadOption, output, err)
		}
		s.SinkTo(file.NewSink(output), "Files").UID("sink")
	}
	return nil
}

// CSVField returns s as one field of a CSV record, quoted as RFC 4180 and
// encoding/csv's Writer quote it: when it holds a comma, a double quote
// (doubled inside), a line end, begins with a space, or is `\.`; otherwise
// unchanged. The word counts write word,count with it, so a word such as
// "job," stays one field: "job,",1.
func CSVField(s string) string {
	if !needsQuotes(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// needsQuotes is encoding/csv's rule, in one pass over the bytes: it runs
// once per output record of a word count, where strings.ContainsAny and a
// rune decode cost a fifth of the job's throughput.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' {
			return true
		}
	} else if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

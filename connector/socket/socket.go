package socket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/units"
)

// DialTimeout bounds how long CreateReader waits for the connection.
const DialTimeout = 30 * time.Second

const readBufferSize = 64 << 10

// Source reads delimited text records from a TCP server. It implements
// connector.Source[string].
type Source struct {
	host          string
	port          int
	delim         string
	maxRecordSize int64
}

var _ connector.Source[string] = (*Source)(nil)

// New returns a source that connects to host:port and splits what it reads
// at delimiter; an empty delimiter means "\n". Records longer than
// connector.DefaultMaxRecordSize fail the reader; see WithMaxRecordSize.
func New(host string, port int, delimiter string) *Source {
	if delimiter == "" {
		delimiter = "\n"
	}
	return &Source{host: host, port: port, delim: delimiter, maxRecordSize: connector.DefaultMaxRecordSize}
}

// WithMaxRecordSize sets the longest record, in bytes without its
// delimiter, the source accepts (the option source.max-record-size); n < 1
// means the default. A longer record fails the reader with an error
// wrapping connector.ErrRecordTooLarge after at most n bytes (and one read
// buffer) were held. It returns s.
func (s *Source) WithMaxRecordSize(n int64) *Source {
	s.maxRecordSize = connector.MaxRecordSize(n)
	return s
}

// Addr is the address the source connects to, as "host:port".
func (s *Source) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Identity is "socket host:port" (connector.Identifier).
func (s *Source) Identity() string { return "socket " + s.Addr() }

// CreateReader connects to the server. It refuses a parallelism above 1.
func (s *Source) CreateReader(ctx connector.SourceContext) (connector.SourceReader[string], error) {
	if ctx.Parallelism > 1 {
		return nil, fmt.Errorf("socket source %s: parallelism %d is not supported: a socket source is not parallel, set its parallelism to 1", s.Addr(), ctx.Parallelism)
	}
	addr := s.Addr()
	conn, err := net.DialTimeout("tcp", addr, DialTimeout)
	if err != nil {
		return nil, fmt.Errorf("socket source: cannot connect to %s: %w", addr, dialCause(err))
	}
	if ctx.Logger != nil {
		ctx.Logger.Info("socket source connected", "addr", addr)
	}
	return &reader{
		addr:    addr,
		conn:    conn,
		br:      bufio.NewReaderSize(conn, readBufferSize),
		delim:   []byte(s.delim),
		crlf:    s.delim == "\n",
		maxSize: s.maxRecordSize,
	}, nil
}

// dialCause strips the "dial tcp ADDR: connect:" decoration from a dial
// error, keeping the error chain (errors.Is(err, syscall.ECONNREFUSED)).
func dialCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) && sys.Err != nil {
		err = sys.Err
	}
	return err
}

type reader struct {
	addr    string
	conn    net.Conn
	br      *bufio.Reader
	delim   []byte
	crlf    bool
	maxSize int64 // the longest record accepted

	partial  []byte // bytes of the record being read, kept across Fetch calls
	consumed int64  // bytes of the connection before the record being read
	eof      bool

	closeOnce sync.Once
	closeErr  error
}

// Fetch implements connector.SourceReader.
func (r *reader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	if r.eof {
		return buf, nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return buf, nil, err
	}
	if len(buf) == cap(buf) {
		return buf, nil, nil
	}
	// Clear a deadline left by an earlier cancelled Fetch, then arm the
	// watcher that interrupts a blocked Read when ctx is cancelled.
	if err := r.conn.SetReadDeadline(time.Time{}); err != nil {
		return buf, nil, fmt.Errorf("socket source %s: %w", r.addr, err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		r.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer func() {
		if !stop() {
			<-fired // join the watcher: no goroutine outlives Fetch
		}
	}()

	n0 := len(buf)
	for len(buf) < cap(buf) {
		if len(buf) > n0 && !r.completeRecordBuffered() {
			return buf, nil, nil // deliver what we have rather than block
		}
		rec, err := r.readRecord()
		if err == nil {
			buf = append(buf, rec)
			continue
		}
		if err == io.EOF {
			r.eof = true
			if len(r.partial) > 0 {
				// Flink emits the trailing undelimited data as is.
				buf = append(buf, string(r.partial))
				r.partial = nil
			}
			return buf, nil, io.EOF
		}
		if errors.Is(err, connector.ErrRecordTooLarge) {
			return buf, nil, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return buf, nil, ctxErr
		}
		return buf, nil, fmt.Errorf("socket source: read from %s: %w", r.addr, dialCause(err))
	}
	return buf, nil, nil
}

// completeRecordBuffered reports whether a whole record is already in the
// read buffer, so reading it cannot block.
func (r *reader) completeRecordBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.br.Peek(n)
	if len(r.partial) > 0 && len(r.delim) > 1 {
		// The delimiter may straddle the partial bytes and the buffer.
		k := len(r.delim) - 1
		if k > len(r.partial) {
			k = len(r.partial)
		}
		joined := append(append([]byte(nil), r.partial[len(r.partial)-k:]...), b...)
		return bytes.Contains(joined, r.delim)
	}
	return bytes.Contains(b, r.delim)
}

// readRecord reads up to and including the next delimiter and returns the
// record without it. On an error the bytes read so far stay in r.partial.
// A record longer than r.maxSize is an error wrapping
// connector.ErrRecordTooLarge.
func (r *reader) readRecord() (string, error) {
	last := r.delim[len(r.delim)-1]
	for {
		chunk, err := r.br.ReadSlice(last)
		if err == nil && len(r.partial) == 0 && len(r.delim) == 1 {
			// Fast path: the whole record is in the buffer.
			b := r.trimCR(chunk[:len(chunk)-1])
			if int64(len(b)) > r.maxSize {
				return "", r.tooLarge(int64(len(b)), false)
			}
			r.consumed += int64(len(chunk))
			return string(b), nil
		}
		r.partial = append(r.partial, chunk...)
		if err == bufio.ErrBufferFull {
			// Slack for a delimiter (or "\r\n") not yet complete.
			if n := int64(len(r.partial)); n > r.maxSize+int64(len(r.delim)) {
				return "", r.tooLarge(n, true)
			}
			continue
		}
		if err != nil {
			return "", err
		}
		if bytes.HasSuffix(r.partial, r.delim) {
			b := r.trimCR(r.partial[:len(r.partial)-len(r.delim)])
			if int64(len(b)) > r.maxSize {
				return "", r.tooLarge(int64(len(b)), false)
			}
			rec := string(b)
			r.consumed += int64(len(r.partial))
			r.partial = r.partial[:0]
			return rec, nil
		}
	}
}

// tooLarge is the error for the record being read, of n bytes (at least,
// when more is true: its end has not arrived).
func (r *reader) tooLarge(n int64, more bool) error {
	size := fmt.Sprintf("%d bytes (%s)", n, units.Bytes(n))
	if more {
		size = "more than " + size
	}
	r.partial = nil // free it: the reader is done
	return fmt.Errorf("socket source %s: %w: the record at byte %d of the connection is %s long, over source.max-record-size (%s): "+
		"raise it (e.g. -D source.max-record-size=%s) if such records are expected, or check that the peer ends records with %q; "+
		"a restart reconnects, and the record is not read again",
		r.addr, connector.ErrRecordTooLarge, r.consumed, size, units.Bytes(r.maxSize), connector.MaxRecordSizeFor(n), r.delim)
}

func (r *reader) trimCR(b []byte) []byte {
	if r.crlf && len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// Close closes the connection.
func (r *reader) Close() error {
	r.closeOnce.Do(func() {
		if err := r.conn.Close(); err != nil {
			r.closeErr = fmt.Errorf("socket source: close connection to %s: %w", r.addr, err)
		}
	})
	return r.closeErr
}

package runtime

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/weirstream/weir/operator"
)

// The data plane between task managers. A task manager listens for data
// connections on one DataServer for its whole life; each attempt of a job
// it runs has a Network, which holds one TCP connection per other task
// manager the attempt exchanges records with. The channels of every edge
// between the two are multiplexed on that connection:
//
//   - The producer's side of a channel is a proxy InputChannel in the
//     connection's outgoing gate, so PartitionWriter writes to it exactly as
//     to a local channel, credits included. The connection's writer
//     goroutine takes what the proxies queue, in order per channel, and
//     writes it to the socket; a buffer is recycled into the producer's pool
//     once written, but its credit comes back only when the consumer sends
//     one.
//   - The consumer's side is an ordinary InputChannel of the consumer's
//     gate. The connection's reader goroutine reads each buffer into one of
//     the channel's own buffers (as many as it has credits, so the read never
//     waits) and queues it; when the consumer has processed and recycled it,
//     the channel's credit goes back over the connection instead of into the
//     local credit queue.
//
// So the flow control is the in-memory one, stretched over the socket: a
// slow consumer on another machine stops granting credits, its producers'
// pools run dry, and they wait. Events (barriers, watermarks, end of
// partition) travel in band, in order with the buffers.
//
// Wire format, after the handshake: frames of a type byte, the channel's
// index on the connection (uvarint; both sides list the channels crossing
// between them in the same order) and a body: a data buffer (uvarint
// length, bytes), an event, or a credit grant (uvarint count).
//
// Attempts are fenced: the dialer names the attempt in its handshake, and
// a DataServer accepts a connection only for an attempt it has a Network
// for, so a task manager still running an earlier attempt (one that was
// partitioned or stopped and came back) cannot deliver a single record to
// the current one.

// ErrDataConnection marks the loss of a data connection between two task
// managers while an attempt still needed it; the attempt fails with it and
// the job manager's restart strategy decides what comes next.
var ErrDataConnection = errors.New("data connection lost")

const (
	netMagic   = "WEIR"
	netVersion = 1

	frameData   = 1
	frameEvent  = 2
	frameCredit = 3

	eventBarrier   = 1
	eventEnd       = 2
	eventWatermark = 3

	// handshakeTimeout bounds the handshake on a new connection, so a peer
	// that connects and says nothing cannot hold a server goroutine.
	handshakeTimeout = 10 * time.Second
)

// DataServer accepts the data connections that other task managers open
// to this one, and hands each to the Network of the attempt it names. It
// lives as long as its task manager. Its accept loop and handshakes run on
// goroutines it owns; Close stops and joins them.
type DataServer struct {
	ln     net.Listener
	logger *slog.Logger
	wg     sync.WaitGroup

	mu       sync.Mutex
	attempts map[string]*Network
	closed   bool
	conns    map[net.Conn]struct{} // in handshake
}

// ListenData starts a DataServer on addr ("host:port"; port 0 picks a free
// one). With tlsConf, connections use TLS with its settings (mutual TLS
// when it requires client certificates).
func ListenData(addr string, tlsConf *tls.Config, logger *slog.Logger) (*DataServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("data port: %w", err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &DataServer{ln: ln, logger: logger, attempts: map[string]*Network{}, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	return s, nil
}

// Addr is the address the server listens on.
func (s *DataServer) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, closes the connections still in their handshake
// and waits for the server's goroutines. Networks registered with it keep
// the connections they already have.
func (s *DataServer) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *DataServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() { s.handshake(c) })
	}
}

// handshake reads the dialer's hello, finds its attempt's Network and
// hands the connection over, or refuses it with a reason.
func (s *DataServer) handshake(c net.Conn) {
	handed := false
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		if !handed {
			c.Close()
		}
	}()
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	br := bufio.NewReaderSize(c, 64<<10)
	h, err := readHello(br)
	if err != nil {
		s.logger.Warn("data connection refused: bad handshake", "remote", c.RemoteAddr(), "err", err)
		return
	}
	s.mu.Lock()
	n := s.attempts[h.attempt]
	s.mu.Unlock()
	if n == nil {
		s.logger.Warn("data connection refused: not an attempt this task manager runs (a task manager of an earlier attempt?)",
			"remote", c.RemoteAddr(), "attempt", h.attempt, "from", h.from)
		writeReply(c, fmt.Sprintf("task manager %d does not run attempt %q", h.to, h.attempt))
		return
	}
	p := n.peers[h.from]
	if h.to != n.self || p == nil || h.from <= n.self {
		writeReply(c, fmt.Sprintf("task manager %d of attempt %q expects no connection from task manager %d", n.self, h.attempt, h.from))
		return
	}
	if h.channels != p.fingerprint() {
		writeReply(c, fmt.Sprintf("task managers %d and %d built different channels for attempt %q: are they running the same job binary?", h.from, n.self, h.attempt))
		return
	}
	if err := writeReply(c, ""); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	select {
	case p.accepted <- acceptedConn{c, br}:
		handed = true
	default: // a second connection for the same pair
		s.logger.Warn("data connection refused: duplicate", "remote", c.RemoteAddr(), "attempt", h.attempt, "from", h.from)
	}
}

type hello struct {
	attempt  string
	from, to int
	channels uint64
}

func writeHello(w io.Writer, h hello) error {
	b := append([]byte(netMagic), netVersion)
	b = binary.AppendUvarint(b, uint64(len(h.attempt)))
	b = append(b, h.attempt...)
	b = binary.AppendUvarint(b, uint64(h.from))
	b = binary.AppendUvarint(b, uint64(h.to))
	b = binary.BigEndian.AppendUint64(b, h.channels)
	_, err := w.Write(b)
	return err
}

func readHello(r *bufio.Reader) (hello, error) {
	var h hello
	head := make([]byte, len(netMagic)+1)
	if _, err := io.ReadFull(r, head); err != nil {
		return h, err
	}
	if string(head[:len(netMagic)]) != netMagic {
		return h, errors.New("not a weir data connection")
	}
	if head[len(netMagic)] != netVersion {
		return h, fmt.Errorf("data protocol version %d, this task manager speaks %d", head[len(netMagic)], netVersion)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 1024 {
		return h, fmt.Errorf("bad attempt name (%v)", err)
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(r, name); err != nil {
		return h, err
	}
	h.attempt = string(name)
	from, err := binary.ReadUvarint(r)
	if err != nil {
		return h, err
	}
	to, err := binary.ReadUvarint(r)
	if err != nil {
		return h, err
	}
	var fp [8]byte
	if _, err := io.ReadFull(r, fp[:]); err != nil {
		return h, err
	}
	h.from, h.to, h.channels = int(from), int(to), binary.BigEndian.Uint64(fp[:])
	return h, nil
}

// writeReply answers a handshake: an empty reason accepts.
func writeReply(w io.Writer, reason string) error {
	b := binary.AppendUvarint(nil, uint64(len(reason)))
	_, err := w.Write(append(b, reason...))
	return err
}

func readReply(r *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 4096 {
		return "", fmt.Errorf("bad handshake reply (%v)", err)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return string(b), err
}

// NetworkConfig places one attempt's subtasks on task managers and says
// how to reach them.
type NetworkConfig struct {
	// Attempt names the attempt (the job's ID and attempt number): only
	// connections naming it are accepted.
	Attempt string
	// Self is this task manager's index in Peers.
	Self int
	// Peers are the data addresses of the attempt's task managers, by
	// index.
	Peers []string
	// Server accepts the connections of the peers with higher indices;
	// this task manager dials those with lower ones.
	Server *DataServer
	// TLS, if set, is the client configuration for dialing.
	TLS *tls.Config
	// Place says which task manager (an index in Peers) runs subtask s of
	// vertex v.
	Place func(v, s int) int
	// DialTimeout bounds each connection attempt; 0 means 10 s.
	DialTimeout time.Duration
	Logger      *slog.Logger
}

// Network carries one attempt's channels between this task manager and
// the others. Build registers the channels that cross task managers;
// Job.Run starts the connections and waits for them to drain before it
// reports success; cancelling the attempt closes them.
type Network struct {
	cfg    NetworkConfig
	self   int
	peers  map[int]*peerConn
	logger *slog.Logger
	wg     sync.WaitGroup
}

// NewNetwork registers an attempt's network with cfg.Server, so that its
// peers' connections are accepted from now on. Build wires its channels;
// call Close when the attempt is over.
func NewNetwork(cfg NetworkConfig) (*Network, error) {
	if cfg.Server == nil || cfg.Place == nil || cfg.Self < 0 || cfg.Self >= len(cfg.Peers) {
		return nil, errors.New("network: needs a data server, a placement and this task manager's index among the peers")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	n := &Network{cfg: cfg, self: cfg.Self, peers: map[int]*peerConn{}, logger: cfg.Logger}
	s := cfg.Server
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.attempts[cfg.Attempt]; dup {
		return nil, fmt.Errorf("network: attempt %q is already registered on this task manager", cfg.Attempt)
	}
	s.attempts[cfg.Attempt] = n
	return n, nil
}

// Close unregisters the attempt, so that no further connection for it is
// accepted, and closes its connections.
func (n *Network) Close() {
	s := n.cfg.Server
	s.mu.Lock()
	if s.attempts[n.cfg.Attempt] == n {
		delete(s.attempts, n.cfg.Attempt)
	}
	s.mu.Unlock()
	for _, p := range n.peers {
		p.close()
	}
}

func (n *Network) peer(i int) *peerConn {
	p := n.peers[i]
	if p == nil {
		p = &peerConn{net: n, index: i, addr: n.cfg.Peers[i], out: NewInputGate(),
			accepted: make(chan acceptedConn, 1), creditNotify: make(chan struct{}, 1)}
		n.peers[i] = p
	}
	return p
}

// outbound returns the producer's end of a channel consumed on task
// manager peer: a proxy with the consumer's credits.
func (n *Network) outbound(peer int, key channelKey, credits int) *InputChannel {
	p := n.peer(peer)
	ch := &InputChannel{gate: p.out, input: key.input, credit: make(chan struct{}, credits)}
	for range credits {
		ch.credit <- struct{}{}
	}
	p.outKeys = append(p.outKeys, key)
	p.outChans = append(p.outChans, ch)
	return ch
}

// inbound registers ch, a channel of a local consumer fed by a producer
// on task manager peer.
func (n *Network) inbound(peer int, key channelKey, ch *InputChannel, credits, segmentSize int) {
	p := n.peer(peer)
	p.inKeys = append(p.inKeys, key)
	p.in = append(p.in, &remoteInput{ch: ch, pool: NewBufferPool(credits, segmentSize), peer: p})
	ch.remote = p.in[len(p.in)-1]
}

// seal orders each connection's channels the way its peer orders them.
func (n *Network) seal() {
	for _, p := range n.peers {
		p.seal()
	}
}

// start opens or awaits every connection and starts their goroutines;
// fail is called with the first error of any of them.
func (n *Network) start(ctx context.Context, fail func(error)) {
	for _, p := range n.peers {
		n.wg.Go(func() {
			if err := p.run(ctx); err != nil && ctx.Err() == nil {
				fail(err)
			}
		})
	}
}

// wait blocks until every connection drained and closed, or ctx is done.
func (n *Network) wait() { n.wg.Wait() }

// channelKey order: both ends of a connection list its channels sorted.
func sortKeys[T any](keys []channelKey, vals []T) {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := keys[idx[a]], keys[idx[b]]
		if x.node != y.node {
			return x.node < y.node
		}
		if x.input != y.input {
			return x.input < y.input
		}
		if x.from != y.from {
			return x.from < y.from
		}
		return x.to < y.to
	})
	k2, v2 := make([]channelKey, len(keys)), make([]T, len(vals))
	for i, j := range idx {
		k2[i], v2[i] = keys[j], vals[j]
	}
	copy(keys, k2)
	copy(vals, v2)
}

type acceptedConn struct {
	c  net.Conn
	br *bufio.Reader
}

// peerConn is the connection to one other task manager, for one attempt.
type peerConn struct {
	net      *Network
	index    int
	addr     string
	accepted chan acceptedConn

	// Channels produced here and consumed there: proxies in out, in the
	// order of outKeys.
	outKeys  []channelKey
	outChans []*InputChannel
	out      *InputGate
	// Channels produced there and consumed here, in the order of inKeys.
	inKeys []channelKey
	in     []*remoteInput

	creditNotify chan struct{}
	// What went each way, for the log line that ends the connection:
	// written by the writer and reader goroutines, read after both ended.
	sentBuffers, sentBytes, recvBuffers, recvBytes int64

	mu struct {
		sync.Mutex
		credits []int // pending credit grants per inbound channel
		dirty   []int // inbound channels with pending grants
		conn    net.Conn
		closed  bool
	}
}

// remoteInput is the consumer's end of a channel whose producer is on
// another task manager.
type remoteInput struct {
	index int
	ch    *InputChannel
	pool  *BufferPool // one buffer per credit; taken by the reader only
	peer  *peerConn
	ended bool // reader goroutine only
}

// grant sends a credit back to the producer: the consumer processed and
// recycled one buffer of the channel.
func (r *remoteInput) grant() {
	p := r.peer
	p.mu.Lock()
	if p.mu.credits[r.index] == 0 {
		p.mu.dirty = append(p.mu.dirty, r.index)
	}
	p.mu.credits[r.index]++
	p.mu.Unlock()
	select {
	case p.creditNotify <- struct{}{}:
	default:
	}
}

func (p *peerConn) seal() {
	sortKeys(p.outKeys, p.outChans)
	for i, ch := range p.outChans {
		ch.index = i
		p.out.channels = append(p.out.channels, ch)
	}
	sortKeys(p.inKeys, p.in)
	for i, r := range p.in {
		r.index = i
	}
	p.mu.credits = make([]int, len(p.in))
}

// fingerprint identifies the channels between the two task managers, as
// the dialer sees them (its outbound are the acceptor's inbound).
func (p *peerConn) fingerprint() uint64 { return fingerprint(p.inKeys, p.outKeys) }

func fingerprint(dialerOut, dialerIn []channelKey) uint64 {
	var b []byte
	for _, ks := range [][]channelKey{dialerOut, dialerIn} {
		b = binary.AppendUvarint(b, uint64(len(ks)))
		for _, k := range ks {
			b = binary.AppendUvarint(b, uint64(k.node))
			b = binary.AppendUvarint(b, uint64(k.input))
			b = binary.AppendUvarint(b, uint64(k.from))
			b = binary.AppendUvarint(b, uint64(k.to))
		}
	}
	return xxhash.Sum64(b)
}

func (p *peerConn) close() {
	p.mu.Lock()
	p.mu.closed = true
	c := p.mu.conn
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
	select { // a connection accepted but never taken up
	case a := <-p.accepted:
		a.c.Close()
	default:
	}
}

func (p *peerConn) lost(err error) error {
	return fmt.Errorf("%w: task manager %d at %s: %v", ErrDataConnection, p.index, p.addr, err)
}

// connect dials the peer (when its index is lower) or waits for it to
// dial.
func (p *peerConn) connect(ctx context.Context) (net.Conn, *bufio.Reader, error) {
	n := p.net
	if p.index > n.self {
		select {
		case a := <-p.accepted:
			return a.c, a.br, nil
		case <-ctx.Done():
			return nil, nil, context.Cause(ctx)
		}
	}
	d := net.Dialer{Timeout: n.cfg.DialTimeout}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, nil, p.lost(err)
	}
	if n.cfg.TLS != nil {
		conf := n.cfg.TLS
		if conf.ServerName == "" {
			conf = conf.Clone()
			conf.ServerName, _, _ = net.SplitHostPort(p.addr)
		}
		tc := tls.Client(c, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, nil, p.lost(fmt.Errorf("TLS handshake: %w", err))
		}
		c = tc
	}
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := writeHello(c, hello{attempt: n.cfg.Attempt, from: n.self, to: p.index, channels: fingerprint(p.outKeys, p.inKeys)}); err != nil {
		c.Close()
		return nil, nil, p.lost(err)
	}
	br := bufio.NewReaderSize(c, 64<<10)
	reason, err := readReply(br)
	if err == nil && reason != "" {
		err = errors.New(reason)
	}
	if err != nil {
		c.Close()
		return nil, nil, p.lost(fmt.Errorf("refused: %w", err))
	}
	c.SetDeadline(time.Time{})
	return c, br, nil
}

// run connects and moves frames both ways until both directions are done:
// every channel out has sent its end of partition, every channel in has
// received its own. The writer then closes its half of the connection, and
// run returns once the peer has closed its half too.
func (p *peerConn) run(ctx context.Context) error {
	c, br, err := p.connect(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		c.Close()
		return context.Cause(ctx)
	}
	p.mu.conn = c
	p.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()

	inDone, readDone := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var rerr error
	wg.Go(func() {
		defer close(readDone)
		rerr = p.read(br, inDone)
	})
	werr := p.write(ctx, c, inDone, readDone)
	if werr != nil {
		c.Close() // unblock the reader
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if rerr != nil {
		return p.lost(rerr)
	}
	if werr != nil {
		return p.lost(werr)
	}
	p.net.logger.Info("data connection drained", "attempt", p.net.cfg.Attempt, "peer", p.index,
		"sent buffers", p.sentBuffers, "sent bytes", p.sentBytes, "received buffers", p.recvBuffers, "received bytes", p.recvBytes)
	return nil
}

// errPeerClosed: the peer closed the connection while this side still had
// channels to send on.
var errPeerClosed = errors.New("closed by the peer before every channel to it ended")

// write sends what the proxies queue and the credits the consumers grant,
// until every channel out has ended and every channel in too (inDone);
// readDone says the reader stopped, after which nothing more can be sent.
func (p *peerConn) write(ctx context.Context, c net.Conn, inDone, readDone <-chan struct{}) error {
	bw := bufio.NewWriterSize(c, 64<<10)
	outLeft := len(p.outChans)
	inEnded := false
	var hdr []byte
	for {
		wrote := false
		// Credits first: they unblock the peer's producers.
		p.mu.Lock()
		dirty := p.mu.dirty
		p.mu.dirty = nil
		hdr = hdr[:0]
		for _, i := range dirty {
			if !inEnded {
				hdr = append(hdr, frameCredit)
				hdr = binary.AppendUvarint(hdr, uint64(i))
				hdr = binary.AppendUvarint(hdr, uint64(p.mu.credits[i]))
			}
			p.mu.credits[i] = 0
		}
		p.mu.Unlock()
		if len(hdr) > 0 {
			if _, err := bw.Write(hdr); err != nil {
				return err
			}
			wrote = true
		}
		for range 64 {
			e, ch, ok := p.out.poll()
			if !ok {
				break
			}
			wrote = true
			hdr = hdr[:0]
			if e.buf != nil {
				hdr = append(hdr, frameData)
				hdr = binary.AppendUvarint(hdr, uint64(ch.index))
				hdr = binary.AppendUvarint(hdr, uint64(len(e.buf.data)))
				_, err := bw.Write(hdr)
				if err == nil {
					_, err = bw.Write(e.buf.data)
				}
				p.sentBuffers++
				p.sentBytes += int64(len(e.buf.data))
				e.buf.Recycle() // its credit comes back from the consumer
				if err != nil {
					return err
				}
				continue
			}
			hdr = append(hdr, frameEvent)
			hdr = binary.AppendUvarint(hdr, uint64(ch.index))
			hdr = appendEvent(hdr, e.ev)
			if _, err := bw.Write(hdr); err != nil {
				return err
			}
			if _, ok := e.ev.(EndOfPartition); ok {
				outLeft--
			}
		}
		if wrote {
			continue
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if outLeft == 0 && inEnded {
			return closeWrite(c)
		}
		select {
		case <-p.out.notify:
		case <-p.creditNotify:
		case <-inDone:
			inEnded, inDone = true, nil
		case <-readDone:
			// The peer closed its half: it has every channel's end from
			// here, or it is gone. The reader closed inDone first if every
			// channel in ended; select may have picked this case first.
			if inDone != nil {
				select {
				case <-inDone:
					inEnded, inDone = true, nil
				default:
				}
			}
			if outLeft > 0 || !inEnded {
				return errPeerClosed
			}
			readDone = nil
		case <-ctx.Done():
			return nil
		}
	}
}

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// read dispatches the peer's frames until it closes its half of the
// connection; inDone is closed once every inbound channel has ended.
func (p *peerConn) read(br *bufio.Reader, inDone chan struct{}) error {
	inLeft := len(p.in)
	if inLeft == 0 {
		close(inDone)
	}
	for {
		typ, err := br.ReadByte()
		if err == io.EOF && inLeft == 0 {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				err = errors.New("closed by the peer before its channels ended")
			}
			return err
		}
		idx, err := binary.ReadUvarint(br)
		if err != nil {
			return err
		}
		switch typ {
		case frameData, frameEvent:
			if idx >= uint64(len(p.in)) {
				return fmt.Errorf("%w: frame for channel %d of %d", ErrCorruptStream, idx, len(p.in))
			}
			r := p.in[idx]
			if typ == frameEvent {
				ev, err := readEvent(br)
				if err != nil {
					return err
				}
				r.ch.SendEvent(ev)
				if _, ok := ev.(EndOfPartition); ok && !r.ended {
					r.ended = true
					if inLeft--; inLeft == 0 {
						close(inDone)
					}
				}
				continue
			}
			size, err := binary.ReadUvarint(br)
			if err != nil {
				return err
			}
			if size > uint64(r.pool.segmentSize) {
				return fmt.Errorf("%w: a buffer of %d bytes for segments of %d", ErrCorruptStream, size, r.pool.segmentSize)
			}
			b, err := r.pool.Request(context.Background()) // a credit's buffer: free by construction
			if err != nil {
				return err
			}
			b.data = b.data[:size]
			if _, err := io.ReadFull(br, b.data); err != nil {
				b.Recycle()
				return err
			}
			p.recvBuffers++
			p.recvBytes += int64(size)
			r.ch.enqueue(element{buf: b})
		case frameCredit:
			if idx >= uint64(len(p.outChans)) {
				return fmt.Errorf("%w: credit for channel %d of %d", ErrCorruptStream, idx, len(p.outChans))
			}
			k, err := binary.ReadUvarint(br)
			if err != nil {
				return err
			}
			ch := p.outChans[idx]
			for range k {
				select {
				case ch.credit <- struct{}{}:
				default:
					return fmt.Errorf("%w: more credits than buffers for channel %d", ErrCorruptStream, idx)
				}
			}
		default:
			return fmt.Errorf("%w: frame type %d", ErrCorruptStream, typ)
		}
	}
}

func appendEvent(b []byte, ev Event) []byte {
	switch e := ev.(type) {
	case CheckpointBarrier:
		b = append(b, eventBarrier)
		b = binary.AppendVarint(b, e.ID)
		return binary.AppendVarint(b, e.Timestamp.UnixNano())
	case EndOfPartition:
		return append(b, eventEnd)
	case operator.Watermark:
		b = append(b, eventWatermark)
		b = binary.AppendVarint(b, e.Time)
		if e.Idle {
			return append(b, 1)
		}
		return append(b, 0)
	}
	panic(fmt.Sprintf("runtime: no wire format for event %T", ev))
}

func readEvent(br *bufio.Reader) (Event, error) {
	kind, err := br.ReadByte()
	if err != nil {
		return nil, err
	}
	switch kind {
	case eventBarrier:
		id, err := binary.ReadVarint(br)
		if err != nil {
			return nil, err
		}
		ts, err := binary.ReadVarint(br)
		if err != nil {
			return nil, err
		}
		return CheckpointBarrier{ID: id, Timestamp: time.Unix(0, ts)}, nil
	case eventEnd:
		return EndOfPartition{}, nil
	case eventWatermark:
		t, err := binary.ReadVarint(br)
		if err != nil {
			return nil, err
		}
		idle, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		return operator.Watermark{Time: t, Idle: idle == 1}, nil
	}
	return nil, fmt.Errorf("%w: event kind %d", ErrCorruptStream, kind)
}

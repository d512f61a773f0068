package measure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome says what the harness knows about a write.
type Outcome byte

// The outcomes a ledger holds. Definitely failed writes (a 4xx answer) are counted by Traffic
// and never ledgered: they cannot have changed the data.
const (
	// Acked: the service answered 2xx after COMMIT; the write must survive.
	Acked Outcome = 'A'
	// Unknown: no answer (timeout, connection reset) or a 5xx; the write may or may not have
	// committed. Checkers accept its value where found and never count it as lost.
	Unknown Outcome = 'U'
)

func (o Outcome) String() string {
	switch o {
	case Acked:
		return "acked"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("outcome(%q)", byte(o))
}

// Write is one ledger entry: a write of Value to record Key of site Site.
type Write struct {
	// Seq numbers writes in the order they were sent. Writes to one key are sent one after
	// another (one writer owns a key), so Seq orders the writes of a key.
	Seq    int64
	Tenant int64
	Site   int64
	Key    string
	Value  string // unique per write: a value identifies the write that produced it
	// At is when the answer reached the harness's host (the kernel's receive timestamp, on
	// Linux; when it was read elsewhere); for a write with no answer, when it failed.
	At      time.Time
	Outcome Outcome
}

// FlushEvery bounds what a crash of the harness itself can take from the ledger file: the
// buffer is written out at least this often (and at Close). The file lives on the harness
// host, so a crash of the stack takes nothing. Entries are not fsynced until Close: they
// survive the harness process dying, not the host losing power.
const FlushEvery = 100 * time.Millisecond

const ledgerHeader = "# drdrill ledger v1: outcome seq tenant site unix_nano key value\n"

// Ledger is the append-only record of acknowledged (and unknown-outcome) writes. It keeps a
// copy in memory for the verifier and writes every entry to its file. Safe for concurrent use.
type Ledger struct {
	path string

	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	line   []byte
	mem    []Write
	acked  int
	err    error // first write error; sticky
	closed bool

	stop chan struct{}
	done chan struct{}
}

// CreateLedger creates a new ledger file at path. It refuses to overwrite an existing file:
// a ledger is the evidence of one run.
func CreateLedger(path string) (*Ledger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	l := &Ledger{
		path: path,
		f:    f,
		w:    bufio.NewWriterSize(f, 64<<10),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	if _, err := l.w.WriteString(ledgerHeader); err != nil {
		f.Close()
		return nil, fmt.Errorf("create ledger %s: %w", path, err)
	}
	go l.flushLoop()
	return l, nil
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

func (l *Ledger) flushLoop() {
	defer close(l.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if l.err == nil && l.w.Buffered() > 0 {
				if err := l.w.Flush(); err != nil {
					l.err = fmt.Errorf("ledger %s: %w", l.path, err)
				}
			}
			l.mu.Unlock()
		}
	}
}

// Append records one write. Keys and values may not hold tabs or newlines (the file is one
// tab-separated line per write).
func (l *Ledger) Append(w Write) error {
	if w.Outcome != Acked && w.Outcome != Unknown {
		return fmt.Errorf("ledger %s: write %d: invalid outcome %v", l.path, w.Seq, w.Outcome)
	}
	if w.Key == "" || strings.ContainsAny(w.Key, "\t\n") || strings.ContainsAny(w.Value, "\t\n") {
		return fmt.Errorf("ledger %s: write %d: key %q or value %q is empty or holds a tab or newline", l.path, w.Seq, w.Key, w.Value)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("ledger %s: append after close", l.path)
	}
	if l.err != nil {
		return l.err
	}
	b := append(l.line[:0], byte(w.Outcome), '\t')
	b = strconv.AppendInt(b, w.Seq, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, w.Tenant, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, w.Site, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, w.At.UnixNano(), 10)
	b = append(b, '\t')
	b = append(b, w.Key...)
	b = append(b, '\t')
	b = append(b, w.Value...)
	b = append(b, '\n')
	l.line = b
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("ledger %s: %w", l.path, err)
		return l.err
	}
	l.mem = append(l.mem, w)
	if w.Outcome == Acked {
		l.acked++
	}
	return nil
}

// Writes returns every entry appended so far, in append order. The slice is shared, not
// copied (entries are never modified): do not write to it.
func (l *Ledger) Writes() []Write {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mem[:len(l.mem):len(l.mem)]
}

// Acked is the number of acknowledged writes appended so far.
func (l *Ledger) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// Flush writes buffered entries to the file now.
func (l *Ledger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil || l.closed {
		return l.err
	}
	if err := l.w.Flush(); err != nil {
		l.err = fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return l.err
}

// Close flushes, fsyncs and closes the file. The in-memory entries stay readable. Closing
// twice is a no-op; Close on a nil ledger too.
func (l *Ledger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done

	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.err
	if err == nil {
		if ferr := l.w.Flush(); ferr != nil {
			err = ferr
		}
	}
	if serr := l.f.Sync(); err == nil && serr != nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && l.err == nil {
		return fmt.Errorf("close ledger %s: %w", l.path, err)
	}
	return err
}

// LoadLedger reads a ledger file back. See ReadLedger.
func LoadLedger(path string) ([]Write, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load ledger: %w", err)
	}
	defer f.Close()
	hint := 0
	if st, err := f.Stat(); err == nil {
		hint = int(st.Size() / 64)
	}
	return readLedger(f, path, hint)
}

// ReadLedger decodes a ledger. A last line without its newline is the harness dying in the
// middle of a flush: it is dropped, and everything before it is returned. Any other malformed
// line is an error naming its line number.
func ReadLedger(r io.Reader, name string) ([]Write, error) {
	return readLedger(r, name, 0)
}

func readLedger(r io.Reader, name string, hint int) ([]Write, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	out := make([]Write, 0, hint)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return out, fmt.Errorf("ledger %s:%d: line longer than %d bytes", name, n, br.Size())
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("ledger %s:%d: %w", name, n, err)
		}
		if errors.Is(err, io.EOF) {
			// A torn tail (no newline) is an interrupted flush, not corruption.
			return out, nil
		}
		line = line[:len(line)-1]
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		w, perr := parseLedgerLine(line)
		if perr != nil {
			return out, fmt.Errorf("ledger %s:%d: %w", name, n, perr)
		}
		out = append(out, w)
	}
}

func parseLedgerLine(line []byte) (Write, error) {
	var f [7][]byte
	rest := line
	for i := 0; i < 6; i++ {
		j := bytes.IndexByte(rest, '\t')
		if j < 0 {
			return Write{}, fmt.Errorf("%d fields, want 7", i+1)
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	f[6] = rest
	if bytes.IndexByte(rest, '\t') >= 0 {
		return Write{}, errors.New("more than 7 fields")
	}
	if len(f[0]) != 1 || (f[0][0] != byte(Acked) && f[0][0] != byte(Unknown)) {
		return Write{}, fmt.Errorf("outcome %q, want A or U", f[0])
	}
	var nums [4]int64
	for i := range nums {
		v, ok := atoi(f[i+1])
		if !ok {
			return Write{}, fmt.Errorf("field %d: %q is not an integer", i+2, f[i+1])
		}
		nums[i] = v
	}
	if len(f[5]) == 0 {
		return Write{}, errors.New("empty key")
	}
	// One allocation for key and value together.
	s := string(line[len(line)-len(f[5])-1-len(f[6]):])
	return Write{
		Outcome: Outcome(f[0][0]),
		Seq:     nums[0],
		Tenant:  nums[1],
		Site:    nums[2],
		At:      time.Unix(0, nums[3]),
		Key:     s[:len(f[5])],
		Value:   s[len(f[5])+1:],
	}, nil
}

// atoi parses a decimal int64 without allocating.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv < v*10 {
			return 0, false
		}
		v = nv
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

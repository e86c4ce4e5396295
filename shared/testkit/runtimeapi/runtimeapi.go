// Package runtimeapi is a local implementation of the AWS Lambda Runtime API
// (2018-06-01) for tests and benchmarks: it starts a real `bootstrap`
// binary as a child process with AWS_LAMBDA_RUNTIME_API pointing at it and
// hands the process events, as Lambda does.
//
// Only what a runtime client uses is served: GET invocation/next (blocking
// until an event is queued), POST invocation/{id}/response and /error, and
// POST init/error.
package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const prefix = "/2018-06-01/runtime/"

// Result is what the runtime posted for one invocation.
type Result struct {
	Body []byte
	// Error is true when the runtime posted to invocation/{id}/error.
	Error bool
	// Fetched is when the runtime took the event (its GET invocation/next:
	// on a cold start, the end of its initialisation); At is when its
	// answer arrived.
	Fetched, At time.Time
	// PeakRSS is the process's peak resident memory in bytes when this
	// answer arrived, CPU the CPU time it had used when it was stopped right
	// after (ColdStart only).
	PeakRSS int64
	CPU     time.Duration
}

type invocation struct {
	fetched  time.Time
	id       string
	event    []byte
	deadline time.Time
	done     chan Result
}

// Server is one Runtime API endpoint on loopback.
type Server struct {
	srv     *http.Server
	addr    string
	queue   chan *invocation
	mu      sync.Mutex
	pending map[string]*invocation
	seq     atomic.Int64
	// InitErrors counts posts to init/error.
	InitErrors atomic.Int64
	// TraceHeader is every invocation's Lambda-Runtime-Trace-Id
	// (DefaultTraceHeader unless set before the first event).
	TraceHeader string
}

// DefaultTraceHeader is a sampled trace whose parent is the function's
// segment, as Lambda with active tracing gives a sampled invocation (the
// first of each second is): a function traces its calls under it when
// AWS_XRAY_DAEMON_ADDRESS is set.
const DefaultTraceHeader = "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

// New listens on 127.0.0.1 on a free port.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{TraceHeader: DefaultTraceHeader, addr: ln.Addr().String(), queue: make(chan *invocation, 64), pending: map[string]*invocation{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API (host:port).
func (s *Server) Addr() string { return s.addr }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Queue hands event to the next runtime that asks and returns a channel
// that receives the runtime's answer.
func (s *Server) Queue(event []byte, timeout time.Duration) <-chan Result {
	inv := &invocation{
		id:       "bench-" + strconv.FormatInt(s.seq.Add(1), 10),
		event:    event,
		deadline: time.Now().Add(timeout),
		done:     make(chan Result, 1),
	}
	s.mu.Lock()
	s.pending[inv.id] = inv
	s.mu.Unlock()
	s.queue <- inv
	return inv.done
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		select {
		case inv := <-s.queue:
			if r.Context().Err() != nil {
				// The asking process is gone: the event is the next one's.
				s.queue <- inv
				return
			}
			s.mu.Lock()
			inv.fetched = time.Now()
			s.mu.Unlock()
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
			h.Set("Lambda-Runtime-Trace-Id", s.TraceHeader)
			w.WriteHeader(http.StatusOK)
			w.Write(inv.event)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && path == "init/error":
		s.InitErrors.Add(1)
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		s.mu.Lock()
		inv := s.pending[id]
		delete(s.pending, id)
		var fetched time.Time
		if inv != nil {
			fetched = inv.fetched
		}
		s.mu.Unlock()
		if inv == nil || (kind != "response" && kind != "error") {
			http.Error(w, "unknown invocation", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		inv.done <- Result{Body: body, Error: kind == "error", Fetched: fetched, At: at}
	default:
		http.NotFound(w, r)
	}
}

// Process is a bootstrap binary running against a Server.
type Process struct {
	cmd     *exec.Cmd
	Started time.Time
	exited  chan error
}

// Start runs binary with env (plus AWS_LAMBDA_RUNTIME_API and the variables
// Lambda sets) as a child process; its output goes to stderr.
func (s *Server) Start(binary string, env []string, stderr io.Writer) (*Process, error) {
	cmd := exec.Command(binary)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + s.addr,
		"AWS_LAMBDA_FUNCTION_NAME=bench",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_REGION=eu-west-1",
		"PATH=" + os.Getenv("PATH"),
		"TZ=UTC",
	}, env...)
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	p := &Process{cmd: cmd, exited: make(chan error, 1)}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- cmd.Wait() }()
	return p, nil
}

// Stop kills the process and waits for it.
func (p *Process) Stop() {
	p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err
}

// PeakRSS is the running process's peak resident memory in bytes so far
// (VmHWM of /proc/PID/status: the program's own, unlike the rusage of a
// child, which Linux counts from the parent's memory at fork); 0 when it
// cannot be read.
func (p *Process) PeakRSS() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// CPU is the stopped process's CPU time, user and system, all its threads
// (its rusage; 0 while it runs).
func (p *Process) CPU() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// ErrExited is returned when the process ends before answering.
var ErrExited = errors.New("runtimeapi: the process exited before answering")

// Invoke queues event and waits for the answer, the process's exit or ctx.
func (s *Server) Invoke(ctx context.Context, p *Process, event []byte) (Result, error) {
	done := s.Queue(event, 30*time.Second)
	select {
	case r := <-done:
		return r, nil
	case err := <-p.exited:
		p.exited <- err
		return Result{}, fmt.Errorf("%w: %v", ErrExited, err)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// ColdStart starts binary with event already queued on a Runtime API of
// its own (so that no other process can take the event) and returns the
// time from process start to the arrival of its first response, and the
// response. The process is stopped afterwards.
func ColdStart(ctx context.Context, binary string, env []string, event []byte, stderr io.Writer) (time.Duration, Result, error) {
	s, err := New()
	if err != nil {
		return 0, Result{}, err
	}
	defer s.Close()
	return s.ColdStart(ctx, binary, env, event, stderr)
}

// ColdStart is the package's ColdStart on s.
func (s *Server) ColdStart(ctx context.Context, binary string, env []string, event []byte, stderr io.Writer) (time.Duration, Result, error) {
	done := s.Queue(event, 30*time.Second)
	p, err := s.Start(binary, env, stderr)
	if err != nil {
		return 0, Result{}, err
	}
	defer p.Stop()
	select {
	case r := <-done:
		r.PeakRSS = p.PeakRSS()
		p.Stop() // waiting on its next event: no CPU since the answer
		r.CPU = p.CPU()
		return r.At.Sub(p.Started), r, nil
	case err := <-p.exited:
		p.exited <- err
		return 0, Result{}, fmt.Errorf("%w: %v", ErrExited, err)
	case <-ctx.Done():
		return 0, Result{}, ctx.Err()
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package target is what every Go test target shares, the Go twin of tests/targets/target.h:
// the -w option, notes for the harness on stderr, and a gate that orders two goroutines in
// time without creating a happens-before edge.
//
//	-w  block until one line (or EOF) arrives on stdin before the work starts, so that the
//	    e2e tests can start the target, attach `racetrace -p PID`, then release it.
//
// A target writes nothing to stdout (in `racetrace -- TARGET` mode stdout carries racetrace's
// JSON Lines). Errors go to stderr and exit 1; a bug that the Go runtime itself catches (a
// close of a closed channel, concurrent map writes) ends with the runtime's own panic or fatal
// error, exit status 2.
package target

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// Name is the program's name in notes and errors (its argv[0] base name).
var Name = "target"

// Die prints "NAME: what: err" (or "NAME: what" when err is nil) on stderr and exits 1.
func Die(what string, err error) {
	if err != nil {
		what += ": " + err.Error()
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", Name, what)
	os.Exit(1)
}

// Parse reads the leading -w flag, waits for the stdin line when it is given, and returns the
// remaining arguments, which the program checks itself. usage is the part of the usage line
// after [-w].
func Parse(usage string) []string {
	args := os.Args[1:]
	if len(os.Args) > 0 {
		Name = os.Args[0][strings.LastIndexByte(os.Args[0], '/')+1:]
	}
	wait := false
	for len(args) > 0 && (args[0] == "-w" || args[0] == "--") {
		dashes := args[0] == "--"
		wait = wait || !dashes
		args = args[1:]
		if dashes {
			break
		}
	}
	for _, a := range args {
		if a == "-h" || a == "--help" {
			Usage(usage)
		}
	}
	if wait {
		readLine()
	}
	return args
}

// Usage prints the usage line and exits 1.
func Usage(usage string) {
	fmt.Fprintf(os.Stderr, "usage: %s [-w] %s\n", Name, usage)
	os.Exit(1)
}

// IntArg parses s as an integer in [lo, hi], or exits 1 naming what was wrong.
func IntArg(s string, lo, hi int, what string) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		fmt.Fprintf(os.Stderr, "%s: bad %s '%s' (%d..%d)\n", Name, what, s, lo, hi)
		os.Exit(1)
	}
	return v
}

// readLine reads stdin one byte at a time with read(2) until a newline or EOF.
func readLine() {
	var b [1]byte
	for {
		n, err := syscall.Read(0, b[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			Die("read stdin", err)
		}
		if n == 0 || b[0] == '\n' {
			return
		}
	}
}

// Note writes "NAME: " and the formatted text as one line with one write(2) on stderr, a raw
// system call like the gate's, so that notes add no edge for the race detector either.
func Note(format string, a ...interface{}) {
	line := []byte(Name + ": " + fmt.Sprintf(format, a...) + "\n")
	_, _, errno := syscall.Syscall(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(&line[0])),
		uintptr(len(line)))
	if errno != 0 {
		Die("write stderr", errno)
	}
}

// Goid returns the calling goroutine's id, read from the first line of its stack trace
// ("goroutine 18 [running]:"), the only way the standard library tells it.
func Goid() int64 {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseInt(s[:i], 10, 64); err == nil {
			return id
		}
	}
	return -1
}

// NoteGoid tells the harness that the calling goroutine plays role: "NAME: goid ROLE N".
func NoteGoid(role string) {
	Note("goid %s %d", role, Goid())
}

// NoteTime tells the harness the CLOCK_MONOTONIC time just before the caller does what:
// "NAME: time WHAT SEC.NSEC" (the clock the harness stamps racetrace's output lines with).
func NoteTime(what string) {
	var ts syscall.Timespec
	const clockMonotonic = 1
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic,
		uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		Die("clock_gettime", errno)
	}
	Note("time %s %d.%09d", what, ts.Sec, ts.Nsec)
}

// Gate orders goroutines in time through a pipe read and written with raw read(2)/write(2)
// system calls: a goroutine in Wait blocks its thread in the kernel until another calls Open.
// The calls go through syscall.Syscall, not syscall.Read/Write, which under -race tell the
// race detector that every write happens before every later read. So neither Go's memory
// model (no channel, lock or atomic is involved), nor the race detector (`go run -race`), nor
// racetrace sees an edge here: accesses on both sides of a gate are concurrent. That is what
// the racy targets need to make their bug deterministic without the runtime's own checks
// (which only catch map accesses that overlap in time) firing first.
type Gate struct {
	fds [2]int
}

// NewGate makes a closed gate.
func NewGate() *Gate {
	g := &Gate{}
	if err := syscall.Pipe2(g.fds[:], syscall.O_CLOEXEC); err != nil {
		Die("pipe2", err)
	}
	return g
}

// Open lets one Wait through.
func (g *Gate) Open() {
	b := [1]byte{1}
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITE, uintptr(g.fds[1]),
			uintptr(unsafe.Pointer(&b[0])), 1)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 || n != 1 {
			Die("gate write", errno)
		}
		return
	}
}

// Wait blocks until the gate is opened once.
func (g *Gate) Wait() {
	var b [1]byte
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_READ, uintptr(g.fds[0]),
			uintptr(unsafe.Pointer(&b[0])), 1)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 || n != 1 {
			Die("gate read", errno)
		}
		return
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// gotest: a Go test that deadlocks, as a test binary (`go test -c -o gotest.test ./gotest`).
// TestHandoff makes an unbuffered channel and calls Produce(ch) in the test goroutine itself
// (the bug: it forgot the `go`), meaning to read the value afterwards; the test goroutine
// blocks forever in Produce's send. Run the binary as `go test` runs it, with
// -test.timeout=10m: the alarm timer stays pending, so the runtime never reports "all
// goroutines are asleep" and the binary just hangs until the timeout panics (exit status 2).
// (Without -test.timeout there is no timer and the runtime's own check fires at once.) TestOK
// runs Produce in a goroutine and passes. TestMain sends the testing package's output (PASS,
// FAIL, -test.v) to stderr, so that stdout stays empty like every target's. racetrace must
// report TestHandoff as a deadlock (every goroutine blocked) within a second; for TestOK
// nothing.
//
// Usage: gotest.test -test.timeout=10m -test.run TestOK|TestHandoff   (a test binary takes no
// -w, its flags are the testing package's)
package handoff

import (
	"os"
	"path/filepath"
	"testing"

	"racetrace/targets/target"
)

func TestMain(m *testing.M) {
	target.Name = filepath.Base(os.Args[0])
	os.Stdout = os.Stderr // the testing package's PASS/FAIL lines: a target's stdout stays empty
	os.Exit(m.Run())
}

func TestHandoff(t *testing.T) {
	target.NoteGoid("test")
	ch := make(chan int)
	target.NoteTime("test-blocks")
	Produce(ch) // the bug: should be `go Produce(ch)`; blocks forever
	if v := <-ch; v != 42 {
		t.Fatalf("got %d, expected 42", v)
	}
}

func TestOK(t *testing.T) {
	target.NoteGoid("test")
	ch := make(chan int)
	go Produce(ch)
	if v := <-ch; v != 42 {
		t.Fatalf("got %d, expected 42", v)
	}
}

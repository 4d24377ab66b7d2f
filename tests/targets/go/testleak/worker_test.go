// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// testleak: Go tests that leave a goroutine behind, as a test binary (`go test -c`): goleak's
// rule, the largest class of Go blocking bugs. TestLeak starts Serve in a goroutine
// ("leaked"), which waits for a request that the test never sends, and returns as soon as the
// runtime's goroutine dump shows it parked (no sleep, no edge): the
// test passes, the goroutine stays parked in a receive, and the binary exits a moment later
// (before any hang threshold). TestJoined, the clean twin, sends the request, takes the reply
// and waits for the goroutine with a WaitGroup. TestSlow is TestJoined with a slow server (it
// sleeps 2 s before it serves): the test and goroutine 1, which waits for it in
// testing.(*T).Run, stay parked for 2 s. Run as `go test` runs them (-test.timeout=10m).
// racetrace must report TestLeak's goroutine (go-goroutine-leak, detail after-test, at the
// receive in Serve) and nothing for TestJoined, nor for TestSlow with --hang-threshold 1 (a
// slow test is not a leak).
//
// Usage: testleak.test -test.timeout=10m -test.run TestLeak|TestJoined|TestSlow
package worker

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"racetrace/targets/target"
)

func TestMain(m *testing.M) {
	target.Name = filepath.Base(os.Args[0])
	os.Stdout = os.Stderr // the testing package's PASS/FAIL lines: a target's stdout stays empty
	os.Exit(m.Run())
}

func TestLeak(t *testing.T) {
	reqs := make(chan int)
	replies := make(chan int, 1)
	started := target.NewGate()
	go func() {
		target.NoteGoid("leaked")
		started.Open()
		Serve(reqs, replies) // the bug: nobody ever sends the request
	}()
	started.Wait()
	waitParked(t, "[chan receive]:", ".Serve(")
}

// waitParked returns once a goroutine running fn is parked as state says ("goroutine N
// [chan receive]:" in the runtime's own dump), so that the test returns with it parked: the
// dump stops the world, no channel or lock of the program is involved.
func waitParked(t *testing.T, state, fn string) {
	buf := make([]byte, 1<<16)
	for i := 0; i < 100000; i++ {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, state) && strings.Contains(g, fn) {
				return
			}
		}
		runtime.Gosched()
	}
	t.Fatalf("no goroutine in %s became %q", fn, state)
}

func TestJoined(t *testing.T) {
	reqs := make(chan int)
	replies := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		target.NoteGoid("server")
		Serve(reqs, replies)
	}()
	reqs <- 21
	if v := <-replies; v != 42 {
		t.Fatalf("got %d, expected 42", v)
	}
	wg.Wait()
}

func TestSlow(t *testing.T) {
	reqs := make(chan int)
	replies := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		target.NoteGoid("server")
		time.Sleep(2 * time.Second) // a slow backend
		Serve(reqs, replies)
	}()
	reqs <- 21 // parked until the server is ready
	if v := <-replies; v != 42 {
		t.Fatalf("got %d, expected 42", v)
	}
	wg.Wait()
}

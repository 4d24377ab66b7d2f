// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// chantimeout: the goroutine leak of a request with a timeout. The handler starts a worker that
// computes the answer (300 ms) and sends it on an unbuffered channel, and waits for it in a
// select with a 100 ms time.After; the timeout wins, the handler returns, and nobody will ever
// receive: the worker blocks forever in its send (a buffered channel of capacity 1 is the fix).
// main runs the handler (in the main goroutine), then keeps the process alive for HOLD_MS
// (default 3000) and exits 0 with "worker" still parked in the send, from about 300 ms on.
// Because main sleeps on a timer, the runtime's "all goroutines are asleep" check never fires.
// With --hang-threshold 1 racetrace must report the worker blocked on the channel send; with
// the default threshold (5 s) nothing.
//
// Usage: chantimeout [-w] [HOLD_MS]
package main

import (
	"time"

	"racetrace/targets/target"
)

//go:noinline
func compute(ch chan<- int, started chan<- struct{}) {
	target.NoteGoid("worker")
	close(started)
	time.Sleep(300 * time.Millisecond)
	ch <- 42 // blocks forever: the handler gave up
	target.Die("sent to a channel nobody receives from", nil)
}

// handle returns the worker's result, or false once 100 ms have passed.
//
//go:noinline
func handle() (int, bool) {
	ch := make(chan int)
	started := make(chan struct{})
	go compute(ch, started)
	<-started
	select {
	case r := <-ch:
		return r, true
	case <-time.After(100 * time.Millisecond):
		return 0, false
	}
}

func main() {
	args := target.Parse("[HOLD_MS]")
	hold := 3000
	if len(args) > 1 {
		target.Usage("[HOLD_MS]")
	}
	if len(args) == 1 {
		hold = target.IntArg(args[0], 0, 3600000, "HOLD_MS")
	}
	if _, ok := handle(); ok {
		target.Die("the worker answered before the timeout", nil)
	}
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

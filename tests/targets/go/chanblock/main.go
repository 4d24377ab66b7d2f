// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// chanblock: a goroutine blocked forever on a channel receive that nobody will ever send to
// (a leaked goroutine, the Go form of a hang). A "starter" goroutine makes the channel, hands it
// to "blocked" and returns, so that the blocked goroutine holds the only reference: no
// goroutine that can run can reach the channel (what Go 1.26's goroutineleak profile calls a
// leak). "blocked" parks in <-ch; main waits for that through a Gate (no happens-before edge:
// main never learns the channel), keeps the process alive for HOLD_MS (default 3000) and exits
// 0 with the goroutine still parked. Because main sleeps on a timer, the runtime's "all
// goroutines are asleep" check never fires. With --hang-threshold 1 racetrace must report the
// goroutine blocked on the channel; with the default threshold (5 s) nothing.
//
// Usage: chanblock [-w] [HOLD_MS]
package main

import (
	"time"

	"racetrace/targets/target"
)

//go:noinline
func waitForever(ch chan int, parked *target.Gate) {
	target.NoteGoid("blocked")
	parked.Open()
	<-ch
	target.Die("received from a channel nobody sends to", nil)
}

// start makes the channel and returns: the blocked goroutine keeps the only reference.
//
//go:noinline
func start(parked *target.Gate) {
	ch := make(chan int)
	go waitForever(ch, parked)
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
	parked := target.NewGate()
	go start(parked)
	parked.Wait()
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// tickerloop: the clean twin of the hang targets, goroutines that wait on timers for longer
// than a 1 s hang threshold. "ticker" runs a long-lived service loop, `for range ticker.C`,
// with a 2 s ticker; "timer" waits once on time.After(2500 ms) and returns. main keeps the
// process alive for HOLD_MS (default 3000, so that the ticker fires once and the timer
// expires) and exits 0. A goroutine waiting on a timer channel is not hung: racetrace must
// report nothing, even with --hang-threshold 1.
//
// Usage: tickerloop [-w] [HOLD_MS]
package main

import (
	"time"

	"racetrace/targets/target"
)

//go:noinline
func tick(ready chan<- struct{}) {
	target.NoteGoid("ticker")
	ticker := time.NewTicker(2 * time.Second)
	close(ready)
	n := 0
	for range ticker.C {
		n++
	}
	target.Die("the ticker channel was closed", nil)
}

//go:noinline
func waitOnce(ready chan<- struct{}) {
	target.NoteGoid("timer")
	close(ready)
	<-time.After(2500 * time.Millisecond)
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
	tickerReady := make(chan struct{})
	timerReady := make(chan struct{})
	go tick(tickerReady)
	go waitOnce(timerReady)
	<-tickerReady
	<-timerReady
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

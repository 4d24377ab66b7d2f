// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// mapsleep: two goroutines write one map 300 ms apart with no synchronization between them.
// Goroutine "first" writes keys 0..N-1, opens a raw-pipe gate (target.Gate: no happens-before
// edge) and ends; main waits at the gate, sleeps 300 ms, then starts goroutine "second", which
// writes the same keys. The writes are apart in time, so the runtime's own check never fires,
// but nothing orders them: a data race by Go's memory model (`go build -race` reports it every
// time). The first goroutine has ended when the second is made: a tracer that gives the new
// goroutine the old one's clock slot would see the two ordered.
//
// -chan: "first" also sends on a buffered channel that a logger goroutine drains, and "second"
// sends there too after its write: the channel orders each writer before the logger's
// receives, never one writer before the other (the channel never fills up, so no receive is
// ordered before a send's completion). Still one race.
//
// Ends by itself, exit 0. Usage: mapsleep [-w] [-chan] [N]   (default 100)
package main

import (
	"fmt"
	"os"
	"time"

	"racetrace/targets/target"
)

var m = map[int]int{}

//go:noinline
func writeKeys(n, val int) {
	for i := 0; i < n; i++ {
		m[i] = val
	}
}

func main() {
	args := target.Parse("[-chan] [N]")
	useChan := len(args) > 0 && args[0] == "-chan"
	if useChan {
		args = args[1:]
	}
	n := 100
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 1000000, "N")
	}
	gate := target.NewGate()
	logs := make(chan string, 4)
	logged := make(chan int)
	go func() {
		count := 0
		for range logs {
			count++
		}
		logged <- count
	}()
	go func() {
		target.NoteGoid("first")
		writeKeys(n, 1)
		if useChan {
			logs <- "first wrote"
		}
		gate.Open()
	}()
	gate.Wait()
	time.Sleep(300 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		target.NoteGoid("second")
		writeKeys(n, 2)
		if useChan {
			logs <- "second wrote"
		}
		done <- struct{}{}
	}()
	<-done // main is ordered after the second writer only
	close(logs)
	count := <-logged
	if len(m) != n || m[n-1] != 2 || (useChan && count != 2) {
		fmt.Fprintf(os.Stderr, "%s: map has %d keys, m[N-1]=%d, %d logged\n", target.Name,
			len(m), m[n-1], count)
		os.Exit(1)
	}
}

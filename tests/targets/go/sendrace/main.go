// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// sendrace: a send and a close of one channel that nothing orders, which happen not to panic.
// Goroutine "sender" sends its result on a buffered channel and opens a raw-pipe gate
// (target.Gate: no happens-before edge); goroutine "closer" waits at the gate, then closes the
// channel. The send always comes first here, so the program never panics, but by Go's memory
// model the close could come first (`go build -race` reports a race between chansend and
// closechan): racetrace must report go-chan-send-closed, detail "predicted", naming both.
// Ends by itself, exit 0.
//
// Usage: sendrace [-w]
package main

import (
	"fmt"
	"os"

	"racetrace/targets/target"
)

//go:noinline
func deliver(results chan int, v int) {
	results <- v
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	results := make(chan int, 1)
	gate := target.NewGate()
	done := make(chan struct{}, 2)
	go func() {
		target.NoteGoid("sender")
		deliver(results, 42)
		gate.Open()
		done <- struct{}{}
	}()
	go func() {
		target.NoteGoid("closer")
		gate.Wait()
		close(results)
		done <- struct{}{}
	}()
	<-done
	<-done
	sum := 0
	for v := range results {
		sum += v
	}
	if sum != 42 {
		fmt.Fprintf(os.Stderr, "%s: received %d, want 42\n", target.Name, sum)
		os.Exit(1)
	}
}

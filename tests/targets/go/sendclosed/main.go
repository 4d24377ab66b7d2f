// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// sendclosed: a send on a closed channel. Goroutine "closer" closes the results channel of a
// worker pool early (as if on an error) and signals main; only then does main start goroutine
// "sender", which sends its result there, and the runtime panics: "panic: send on closed
// channel", exit status 2. Deterministic: the order is forced. racetrace must report
// go-chan-send-closed naming both goroutines.
//
// Usage: sendclosed [-w]
package main

import (
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
	results := make(chan int, 4)
	closed := make(chan struct{})
	go func() {
		target.NoteGoid("closer")
		close(results)
		close(closed)
	}()
	<-closed
	final := make(chan struct{})
	go func() {
		target.NoteGoid("sender")
		deliver(results, 1) // panics: the whole program dies here
		close(final)
	}()
	<-final
	target.Die("the send did not panic", nil)
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// doubleclose: two goroutines close the same channel, one after the other. "first" closes it
// and signals main through a second channel; only then does "second" close it again, and the
// runtime panics: "panic: close of closed channel", exit status 2. Deterministic: the order is
// forced, there is nothing to win. racetrace must see two closes of one channel by two
// goroutines (the second one being fatal).
//
// Usage: doubleclose [-w]
package main

import (
	"racetrace/targets/target"
)

//go:noinline
func closeIt(ch chan int) {
	close(ch)
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	ch := make(chan int)
	firstDone := make(chan struct{})
	go func() {
		target.NoteGoid("first")
		closeIt(ch)
		close(firstDone)
	}()
	<-firstDone
	final := make(chan struct{})
	go func() {
		target.NoteGoid("second")
		closeIt(ch) // panics: the whole program dies here
		close(final)
	}()
	<-final
	target.Die("the second close did not panic", nil)
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// chanhandoff: ownership of a map handed from goroutine to goroutine through channels, never
// shared at the same time. "producer" fills a fresh map and sends it on an unbuffered channel;
// "consumer" receives it, adds to it, and sends it back on a buffered channel of capacity 1;
// the producer receives it and reads it, N rounds. Every access is ordered by a send and its
// receive, so racetrace must find nothing. Ends by itself, exit 0.
//
// Usage: chanhandoff [-w] [N]   (rounds, default 100)
package main

import (
	"fmt"
	"os"

	"racetrace/targets/target"
)

//go:noinline
func produce(n int, out chan<- map[int]int, back <-chan map[int]int, done chan<- int) {
	target.NoteGoid("producer")
	sum := 0
	for i := 0; i < n; i++ {
		m := map[int]int{}
		m[0] = i
		out <- m
		m = <-back
		sum += m[1]
	}
	close(out)
	done <- sum
}

//go:noinline
func consume(in <-chan map[int]int, back chan<- map[int]int) {
	target.NoteGoid("consumer")
	for m := range in {
		m[1] = m[0] + 1
		back <- m
	}
}

func main() {
	args := target.Parse("[N]")
	n := 100
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	out := make(chan map[int]int)
	back := make(chan map[int]int, 1)
	done := make(chan int)
	go consume(out, back)
	go produce(n, out, back, done)
	if sum := <-done; sum != n*(n+1)/2 {
		fmt.Fprintf(os.Stderr, "%s: sum %d, expected %d\n", target.Name, sum, n*(n+1)/2)
		os.Exit(1)
	}
}

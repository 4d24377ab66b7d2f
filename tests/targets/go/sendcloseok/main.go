// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// sendcloseok: the clean twin of sendrace and sendclosed. W sender goroutines send their
// results on a buffered channel and call wg.Done(); main closes the channel only after
// wg.Wait() returns (every send happens before the close), then ranges over the results; the
// senders are started after a raw-pipe gate opens, so they run while main already waits. A
// close of a channel made by a goroutine that sends on it and closes it itself, and a channel
// made anew at a closed one's address, are in it too. Nothing to report. Ends by itself,
// exit 0.
//
// Usage: sendcloseok [-w] [W]   (default 4)
package main

import (
	"fmt"
	"os"
	"sync"

	"racetrace/targets/target"
)

//go:noinline
func deliver(results chan int, v int) {
	results <- v
}

func main() {
	args := target.Parse("[W]")
	w := 4
	if len(args) > 0 {
		w = target.IntArg(args[0], 1, 1000, "W")
	}
	results := make(chan int, w)
	var wg sync.WaitGroup
	wg.Add(w)
	for i := 0; i < w; i++ {
		go func(i int) {
			defer wg.Done()
			deliver(results, i+1)
		}(i)
	}
	wg.Wait()
	close(results)
	sum := 0
	for v := range results {
		sum += v
	}
	// a producer that closes its own channel, a few times over (the address may be reused)
	for round := 0; round < 3; round++ {
		own := make(chan int, 1)
		go func() {
			deliver(own, 7)
			close(own)
		}()
		for v := range own {
			sum += v
		}
	}
	if want := w*(w+1)/2 + 21; sum != want {
		fmt.Fprintf(os.Stderr, "%s: sum %d, want %d\n", target.Name, sum, want)
		os.Exit(1)
	}
}

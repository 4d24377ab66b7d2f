// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// racefield: a struct field bumped by several goroutines with no synchronization, while they
// do take the struct's mutex for another field. A data race by Go's memory model (`go run
// -race` reports it); racetrace --races must report a data-race on stats.hits between two
// goroutines, both stacks in bump. Clean twin: racefield_clean (sync/atomic). Exit 0.
//
// Usage: racefield [-w] [N]   (default 300 rounds per goroutine)
package main

import (
	"sync"

	"racetrace/targets/target"
)

type stats struct {
	mu    sync.Mutex
	other int
	hits  int64 // the race
}

var s stats

//go:noinline
func bump(st *stats) {
	st.hits++
}

func main() {
	args := target.Parse("[N]")
	n := 300
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				s.mu.Lock()
				s.other++
				s.mu.Unlock()
				bump(&s)
			}
		}()
	}
	wg.Wait()
}

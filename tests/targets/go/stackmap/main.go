// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// stackmap: each of ROUNDS short-lived goroutines ("requests", as client_golang's
// Registry.Gather with its metricHashes) builds a map literal that does not escape, so go1.24+
// keeps it in the goroutine's frame with no makemap, and fills and reads it through a helper.
// main starts them without waiting for one before the next, and a new goroutine usually gets a
// dead one's g and stack back: the same map address in goroutines nothing orders. Each map is
// its goroutine's alone: racetrace must report nothing.
//
// Ends by itself, exit 0. Usage: stackmap [-w] [ROUNDS]   (default 3000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"racetrace/targets/target"
)

var dups atomic.Int64

//go:noinline
func seen(m map[uint64]struct{}, k uint64) bool {
	if _, ok := m[k]; ok {
		return true
	}
	m[k] = struct{}{}
	return false
}

//go:noinline
func handle(r int) {
	hashes := map[uint64]struct{}{}
	for i := 0; i < 8; i++ {
		if seen(hashes, uint64(r+i%4)) {
			dups.Add(1)
		}
	}
}

func main() {
	rounds := 3000
	if args := target.Parse("[ROUNDS]"); len(args) > 0 {
		rounds = target.IntArg(args[0], 1, 1000000, "ROUNDS")
	}
	var wg sync.WaitGroup
	wg.Add(rounds)
	for r := 0; r < rounds; r++ {
		go func(r int) {
			defer wg.Done()
			handle(r)
		}(r)
		if r%8 == 7 {
			runtime.Gosched()
		}
	}
	wg.Wait()
	if d := dups.Load(); d != int64(rounds)*4 {
		fmt.Fprintf(os.Stderr, "%s: %d duplicates, expected %d\n", target.Name, d, rounds*4)
		os.Exit(1)
	}
}

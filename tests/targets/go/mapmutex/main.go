// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// mapmutex: a map shared by two goroutines that write it concurrently, every access under one
// sync.Mutex (whose Lock and Unlock the compiler inlines at each call site). Released together
// by closing a channel, goroutines "w1" and "w2" each do N rounds of lock, write, unlock, then
// record their count in a second map under a sync.RWMutex (Lock); main waits for both on a
// WaitGroup and checks the counts (RLock, inlined too). racetrace must find nothing.
// Ends by itself, exit 0.
//
// Usage: mapmutex [-w] [N]   (rounds per goroutine, default 1000)
package main

import (
	"fmt"
	"os"
	"sync"

	"racetrace/targets/target"
)

var (
	mu   sync.Mutex
	m    = map[int]int{} // under mu
	rw   sync.RWMutex
	done = map[string]int{} // under rw: rounds each writer finished
)

//go:noinline
func writer(role string, base, n int, start <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	target.NoteGoid(role)
	<-start
	for i := 0; i < n; i++ {
		mu.Lock()
		m[base+i] = i
		mu.Unlock()
	}
	rw.Lock()
	done[role] = n
	rw.Unlock()
}

func main() {
	args := target.Parse("[N]")
	n := 1000
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go writer("w1", 0, n, start, &wg)
	go writer("w2", n, n, start, &wg)
	close(start)
	wg.Wait()
	mu.Lock()
	got := len(m)
	mu.Unlock()
	rw.RLock()
	rounds := done["w1"] + done["w2"]
	rw.RUnlock()
	if got != 2*n || rounds != 2*n {
		fmt.Fprintf(os.Stderr, "%s: map has %d keys and %d rounds, expected %d\n",
			target.Name, got, rounds, 2*n)
		os.Exit(1)
	}
}

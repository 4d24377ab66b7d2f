// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// mapsleepok: mapsleep's clean twin. Goroutine "first" writes keys 0..N-1 and ends; main
// waits for it at a raw-pipe gate, sleeps 300 ms and starts goroutine "second", which writes
// the same keys, so the second goroutine is made after the first ended, as in mapsleep. But
// here the writes are ordered: "first" sends on a buffered channel after its writes and
// "second" receives from it before its own (a send happens before the receive that takes its
// value). -mutex: every write is under one sync.Mutex instead, which "first" unlocks before
// "second" locks it. No race, and racetrace must report nothing.
//
// Ends by itself, exit 0. Usage: mapsleepok [-w] [-mutex] [N]   (default 100)
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"racetrace/targets/target"
)

var (
	m  = map[int]int{}
	mu sync.Mutex
)

//go:noinline
func writeKeys(n, val int, lock bool) {
	for i := 0; i < n; i++ {
		if lock {
			mu.Lock()
		}
		m[i] = val
		if lock {
			mu.Unlock()
		}
	}
}

func main() {
	args := target.Parse("[-mutex] [N]")
	useMutex := len(args) > 0 && args[0] == "-mutex"
	if useMutex {
		args = args[1:]
	}
	n := 100
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 1000000, "N")
	}
	gate := target.NewGate()
	handoff := make(chan struct{}, 1)
	go func() {
		target.NoteGoid("first")
		writeKeys(n, 1, useMutex)
		if !useMutex {
			handoff <- struct{}{}
		}
		gate.Open()
	}()
	gate.Wait()
	time.Sleep(300 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		target.NoteGoid("second")
		if !useMutex {
			<-handoff
		}
		writeKeys(n, 2, useMutex)
		done <- struct{}{}
	}()
	<-done
	if len(m) != n || m[n-1] != 2 {
		fmt.Fprintf(os.Stderr, "%s: map has %d keys, m[N-1]=%d\n", target.Name, len(m), m[n-1])
		os.Exit(1)
	}
}

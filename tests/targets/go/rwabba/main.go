// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// rwabba: a lock-order inversion between a sync.RWMutex held for reading and a sync.Mutex,
// which never deadlocks here. Goroutine "reader" takes rw.RLock then mu.Lock and finishes; only
// then (main waits for it on a channel) does goroutine "writer" take mu.Lock then rw.Lock. Run
// at the same time they can deadlock: the writer holds mu and waits for the reader's read
// lock, the reader holds it and waits for mu. racetrace must report one lock-order inversion
// over the two locks (rw, read side, and mu), seen from two goroutines. Ends by itself,
// exit 0.
//
// Usage: rwabba [-w]
package main

import (
	"sync"

	"racetrace/targets/target"
)

var (
	rw sync.RWMutex
	mu sync.Mutex
)

//go:noinline
func readThenLock() {
	rw.RLock()
	mu.Lock()
	mu.Unlock()
	rw.RUnlock()
}

//go:noinline
func lockThenWrite() {
	mu.Lock()
	rw.Lock()
	rw.Unlock()
	mu.Unlock()
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	done := make(chan struct{})
	go func() {
		target.NoteGoid("reader")
		readThenLock()
		done <- struct{}{}
	}()
	<-done
	go func() {
		target.NoteGoid("writer")
		lockThenWrite()
		done <- struct{}{}
	}()
	<-done
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// abba: the classic lock-order inversion that never deadlocks, with sync.Mutex. Goroutine
// "ab" locks A then B and finishes; only then (main waits for it on a channel) does goroutine
// "ba" lock B then A. racetrace must report one lock-order inversion over the two mutexes,
// seen from two goroutines. Ends by itself, exit 0. The Lock and Unlock calls are inlined by
// the compiler: these are the sites racetrace finds in the inline tables.
//
// Usage: abba [-w]
package main

import (
	"sync"

	"racetrace/targets/target"
)

var lockA, lockB sync.Mutex

//go:noinline
func takeAB() {
	lockA.Lock()
	lockB.Lock()
	lockB.Unlock()
	lockA.Unlock()
}

//go:noinline
func takeBA() {
	lockB.Lock()
	lockA.Lock()
	lockA.Unlock()
	lockB.Unlock()
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	done := make(chan struct{})
	go func() {
		target.NoteGoid("ab")
		takeAB()
		done <- struct{}{}
	}()
	<-done
	go func() {
		target.NoteGoid("ba")
		takeBA()
		done <- struct{}{}
	}()
	<-done
}

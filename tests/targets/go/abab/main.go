// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// abab: the clean twin of abba. Goroutine "first" locks A then B and finishes; only then (main
// waits for it on a channel) does goroutine "second" lock A then B too, N rounds each: the
// two sync.Mutex are always nested in the same order. racetrace must report nothing. Ends by
// itself, exit 0. The Lock and Unlock calls are inlined, as in abba.
//
// Usage: abab [-w] [N]   (rounds per goroutine, default 100)
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

func main() {
	args := target.Parse("[N]")
	n := 100
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	done := make(chan struct{})
	for _, role := range []string{"first", "second"} {
		go func(role string) {
			target.NoteGoid(role)
			for i := 0; i < n; i++ {
				takeAB()
			}
			done <- struct{}{}
		}(role)
		<-done
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// transfer: an AB/BA inversion between two accounts. transfer() locks its source account on
// line 17 and its destination on line 18: the tests check for these numbers, keep them.
// Goroutine "ab" moves money from a to b; only when it is done does "ba" move it back, so it
// never deadlocks; exit 0. Usage: transfer [-w]
package main

import (
	"sync"

	"racetrace/targets/target"
)

//go:noinline
func transfer(from, to *account, amount int) {
	from.mu.Lock()
	to.mu.Lock()
	from.balance -= amount
	to.balance += amount
	to.mu.Unlock()
	from.mu.Unlock()
}

type account struct {
	mu      sync.Mutex
	balance int
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	a, b := &account{balance: 100}, &account{balance: 100}
	done := make(chan struct{})
	go func() {
		target.NoteGoid("ab")
		transfer(a, b, 10)
		done <- struct{}{}
	}()
	<-done
	go func() {
		target.NoteGoid("ba")
		transfer(b, a, 10)
		done <- struct{}{}
	}()
	<-done
}

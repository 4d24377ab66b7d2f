// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// oncemap: a lookup table built lazily, the way services do it: a sync.Once builds the map the
// first time lookup is called. Goroutine "first" calls lookup (the Once runs the build) and
// opens a raw-pipe gate (target.Gate: no happens-before edge); goroutine "second", started
// before, waits at the gate and then calls lookup too: it finds the Once done on its fast path
// (an atomic load of Once.done, no lock taken) and reads the map. Correct Go: the Once orders
// the build before every return of Do. racetrace must find nothing (without the Once's edge it
// would report the read against the build's writes). Ends by itself, exit 0.
//
// Usage: oncemap [-w]
package main

import (
	"sync"

	"racetrace/targets/target"
)

var (
	tableOnce sync.Once
	table     map[string]int // built once, by tableOnce
)

//go:noinline
func lookup(k string) int {
	tableOnce.Do(func() {
		table = map[string]int{}
		for i, s := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
			table[s] = i
		}
	})
	return table[k]
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	gate := target.NewGate()
	done := make(chan int)
	go func() {
		target.NoteGoid("second")
		gate.Wait()
		done <- lookup("b")
	}()
	go func() {
		target.NoteGoid("first")
		v := lookup("a")
		gate.Open()
		done <- v
	}()
	if a, b := <-done, <-done; a+b != 1 {
		target.Die("lookup gave the wrong values", nil)
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// mapwrite: a map written by two goroutines with no synchronization between them, separated in
// time so that the runtime's own check ("concurrent map writes", which only catches writes
// that overlap) never fires. Goroutine "first" writes keys 0..N-1 and opens a raw-pipe gate
// (target.Gate: no happens-before edge); goroutine "second", started before any write, waits
// at the gate and then writes the same keys. A data race by Go's memory model (`go run -race`
// reports it); racetrace must report one race on the map, between the two goroutines. Ends by
// itself, exit 0.
//
// Usage: mapwrite [-w] [N]   (default 100)
package main

import (
	"fmt"
	"os"

	"racetrace/targets/target"
)

var m = map[int]int{}

//go:noinline
func writeKeys(n, val int) {
	for i := 0; i < n; i++ {
		m[i] = val
	}
}

func main() {
	args := target.Parse("[N]")
	n := 100
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 1000000, "N")
	}
	gate := target.NewGate()
	done := make(chan struct{})
	// Both goroutines are created before the first write, so the only edges from main to them
	// precede every access: the two writers stay unordered with each other.
	go func() {
		target.NoteGoid("second")
		gate.Wait()
		writeKeys(n, 2)
		done <- struct{}{}
	}()
	go func() {
		target.NoteGoid("first")
		writeKeys(n, 1)
		gate.Open()
		done <- struct{}{}
	}()
	<-done // main's check below is ordered after both writers, which stay unordered
	<-done
	if len(m) != n || m[n-1] != 2 {
		fmt.Fprintf(os.Stderr, "%s: map has %d keys, m[N-1]=%d\n", target.Name, len(m), m[n-1])
		os.Exit(1)
	}
}

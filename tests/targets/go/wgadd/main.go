// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// wgadd: the classic misuse of sync.WaitGroup, wg.Add(1) called inside the goroutine it counts
// instead of before the go statement. Nothing orders that Add before the Wait, so Wait may
// return at once (the counter is still 0) and the caller goes on before the work is done. Made
// deterministic here: "worker" first waits at a raw-pipe gate (target.Gate: no happens-before
// edge) that main ("waiter") opens only after its wg.Wait returned; then the worker calls
// wg.Add(1), defers wg.Done and does its work. main waits for it through a second gate and
// exits 0. racetrace must report the Add that raises the counter from 0 on a WaitGroup whose
// Wait already returned, without being ordered before that Wait (worker's Add, waiter's Wait).
// Ends by itself, exit 0.
//
// Usage: wgadd [-w]
package main

import (
	"sync"

	"racetrace/targets/target"
)

//go:noinline
func work(wg *sync.WaitGroup, start, finished *target.Gate) {
	target.NoteGoid("worker")
	start.Wait()
	wg.Add(1) // the bug: too late, the Wait it was meant for is over
	defer finished.Open()
	defer wg.Done()
	sum := 0
	for i := 0; i < 1000; i++ {
		sum += i
	}
	if sum != 499500 {
		target.Die("bad sum", nil)
	}
}

//go:noinline
func waitAll(wg *sync.WaitGroup) {
	wg.Wait()
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	target.NoteGoid("waiter")
	var wg sync.WaitGroup
	start, finished := target.NewGate(), target.NewGate()
	go work(&wg, start, finished)
	waitAll(&wg) // returns at once: the counter is still 0
	start.Open()
	finished.Wait()
}

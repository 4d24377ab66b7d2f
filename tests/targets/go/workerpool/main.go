// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// workerpool: a pool of workers idle in `for j := range jobs`, the shape of every Go service's
// background pools, and the goroutine leak that looks the same. By default the producer (main)
// hands out a job every 300 ms to 4 workers for HOLD_MS (default 2400): each worker sits idle
// longer than a second at a time, some of them before they received anything; then main
// closes jobs and waits for the workers, exit 0. racetrace with --hang-threshold 1 must report
// nothing: the producer is alive and can still send (an idle pool is not a leak).
//
// -leak: the bug. A dispatcher goroutine makes the jobs channel and one "worker", hands it 2
// jobs and returns early (an error path) without closing jobs: nobody can ever send on it
// again, and the worker is parked in its range loop for good. main keeps the process alive
// for HOLD_MS (default 3000) on a timer (so the runtime's own check never fires) and exits 0.
// racetrace with --hang-threshold 1 must report the worker (go-goroutine-leak).
//
// Usage: workerpool [-w] [-leak] [HOLD_MS]
package main

import (
	"sync"
	"time"

	"racetrace/targets/target"
)

const usage = "[-leak] [HOLD_MS]"

//go:noinline
func worker(jobs <-chan int, done *sync.WaitGroup) {
	for j := range jobs {
		_ = j * j
	}
	if done != nil {
		done.Done()
	}
}

// dispatch starts a worker and feeds it, then gives up without closing jobs: the leak.
//
//go:noinline
func dispatch() {
	jobs := make(chan int)
	go func() {
		target.NoteGoid("worker")
		worker(jobs, nil)
	}()
	for i := 0; i < 2; i++ {
		jobs <- i
	}
	// the bug: an early return (say, on an error) without close(jobs)
}

func main() {
	args := target.Parse(usage)
	leak := len(args) > 0 && args[0] == "-leak"
	if leak {
		args = args[1:]
	}
	if len(args) > 1 || (len(args) == 1 && args[0][0] == '-') {
		target.Usage(usage)
	}
	hold := 2400
	if leak {
		hold = 3000
	}
	if len(args) == 1 {
		hold = target.IntArg(args[0], 0, 3600000, "HOLD_MS")
	}
	if leak {
		go dispatch()
		time.Sleep(time.Duration(hold) * time.Millisecond)
		return
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go worker(jobs, &wg)
	}
	for i := 0; i < hold/300; i++ {
		time.Sleep(300 * time.Millisecond)
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

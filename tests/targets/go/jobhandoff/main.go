// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// jobhandoff: job structs handed over channels and mutated by one goroutine at a time: main
// fills each job and sends it to one of two workers, which updates its fields and sends it
// back; main reads the result and reuses the struct for the next job. Every access is ordered
// by a send and its receive, so racetrace --races must report nothing (a clean twin for the
// data-race detector). Exit 0.
//
// Usage: jobhandoff [-w] [N]   (jobs, default 400)
package main

import (
	"fmt"
	"os"

	"racetrace/targets/target"
)

type job struct {
	id     int
	input  int
	output int
	steps  int
}

//go:noinline
func process(j *job) {
	j.output = j.input * 2
	j.steps++
}

func main() {
	args := target.Parse("[N]")
	n := 400
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	todo := make(chan *job)
	done := make(chan *job)
	for w := 0; w < 2; w++ {
		go func() {
			for j := range todo {
				process(j)
				done <- j
			}
		}()
	}
	jobs := []*job{{}, {}}
	sum := 0
	for i := 0; i < n; i++ {
		j := jobs[i%2]
		j.id, j.input = i, i
		todo <- j
		r := <-done
		sum += r.output
		r.steps = 0
	}
	close(todo)
	if sum != n*(n-1) {
		fmt.Fprintf(os.Stderr, "%s: sum %d\n", target.Name, sum)
		os.Exit(1)
	}
}

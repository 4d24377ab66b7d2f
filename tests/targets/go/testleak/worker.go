// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package worker: a tiny request/reply helper whose goroutine a careless test leaves behind.
package worker

// Serve answers one request on reqs with its double, then returns.
//
//go:noinline
func Serve(reqs <-chan int, replies chan<- int) {
	v := <-reqs
	replies <- 2 * v
}

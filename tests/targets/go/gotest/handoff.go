// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package handoff is the code under test of the gotest target (see handoff_test.go): a test
// binary built with `go test -c`, whose TestHandoff deadlocks the way tests do.
package handoff

// Produce sends one value on out; it blocks until somebody receives it.
//
//go:noinline
func Produce(out chan<- int) {
	out <- 42
}

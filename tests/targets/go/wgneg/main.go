// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// wgneg: a sync.WaitGroup counter driven below zero. After one wg.Add(1), "worker" runs a job
// that defers wg.Done and, on its error path, also calls wg.Done explicitly (the bug: one Done
// too many). The explicit Done brings the counter to 0 (main's Wait returns); the deferred one
// makes it negative and the runtime panics: "panic: sync: negative WaitGroup counter", exit
// status 2. Deterministic: main, after its Wait, blocks on a channel the worker closes only if
// the job returns, which it never does. racetrace must see the two Done calls by one goroutine
// after one Add (the second one, from the deferred call, being fatal).
//
// Usage: wgneg [-w]
package main

import (
	"errors"
	"sync"

	"racetrace/targets/target"
)

//go:noinline
func step() error {
	return errors.New("step failed")
}

//go:noinline
func job(wg *sync.WaitGroup) error {
	defer wg.Done() // panics: the error path already called Done
	if err := step(); err != nil {
		wg.Done()
		return err
	}
	return nil
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	var wg sync.WaitGroup
	final := make(chan struct{})
	wg.Add(1)
	go func() {
		target.NoteGoid("worker")
		job(&wg) // panics: the whole program dies here
		close(final)
	}()
	wg.Wait()
	<-final
	target.Die("the second Done did not panic", nil)
}

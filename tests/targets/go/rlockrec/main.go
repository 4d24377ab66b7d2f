// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// rlockrec: a recursive read lock on a sync.RWMutex, a deadlock waiting for a writer. The bug as
// it looks in a service: a config whose Lookup read-locks it and, for a key it lacks, calls
// fallback, which read-locks it again. It works until a writer calls Lock between the two
// RLocks: the writer waits for the first reader, and the second RLock waits behind the writer
// (a pending Lock blocks new readers), so both hang. Here no writer ever comes: "handler" calls
// Lookup once, both RLocks succeed, both RUnlocks run, and it returns normally; main waits for
// it on a channel. racetrace must report the recursive read lock (the same RWMutex
// read-locked twice by one goroutine, first in Lookup, then in fallback). Ends by itself,
// exit 0.
//
// Usage: rlockrec [-w]
package main

import (
	"fmt"
	"os"
	"sync"

	"racetrace/targets/target"
)

type config struct {
	mu       sync.RWMutex
	vals     map[string]string
	defaults map[string]string
}

// Lookup returns the value for k, or its default, calling fallback with c.mu read-locked.
//
//go:noinline
func (c *config) Lookup(k string) string {
	c.mu.RLock()
	v, ok := c.vals[k]
	if !ok {
		v = c.fallback(k)
	}
	c.mu.RUnlock()
	return v
}

// fallback read-locks c.mu again: a second RLock by the goroutine that already holds one.
//
//go:noinline
func (c *config) fallback(k string) string {
	c.mu.RLock()
	v := c.defaults[k]
	c.mu.RUnlock()
	return v
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	c := &config{
		vals:     map[string]string{"port": "8080"},
		defaults: map[string]string{"port": "80", "timeout": "30s"},
	}
	done := make(chan string)
	go func() {
		target.NoteGoid("handler")
		done <- c.Lookup("timeout")
	}()
	if v := <-done; v != "30s" {
		fmt.Fprintf(os.Stderr, "%s: Lookup returned '%s', expected '30s'\n", target.Name, v)
		os.Exit(1)
	}
}

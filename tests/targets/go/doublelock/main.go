// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// doublelock: a goroutine that locks a sync.Mutex it already holds, and so blocks forever (Go's
// Mutex is not reentrant). The bug as it looks in a service: a cache whose Get locks the cache
// and, on a miss, calls a helper (fill) that locks the cache again. "handler" calls Get on a
// missing key and parks forever in fill's Lock; "service" runs an accept loop on a loopback
// listener (127.0.0.1, port chosen by the kernel) like a real server, so the process looks
// alive and the runtime's "all goroutines are asleep" check never fires (main also sleeps on
// a timer). main keeps the process alive for HOLD_MS (default 3000) and exits 0 with the
// handler still parked. With --hang-threshold 1 racetrace must report the handler blocked on
// the mutex, which the blocked goroutine itself already holds (a self-deadlock, the lock taken
// in Get, the second Lock in fill); with the default threshold (5 s) nothing.
//
// Usage: doublelock [-w] [HOLD_MS]
package main

import (
	"net"
	"sync"
	"time"

	"racetrace/targets/target"
)

type cache struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the value for k, filling the cache on a miss, with c.mu still held: the bug.
//
//go:noinline
func (c *cache) Get(k string) string {
	c.mu.Lock()
	v, ok := c.m[k]
	if !ok {
		v = c.fill(k)
	}
	c.mu.Unlock()
	return v
}

// fill computes the value for k and stores it, under c.mu, which its caller already holds.
//
//go:noinline
func (c *cache) fill(k string) string {
	c.mu.Lock() // blocks forever: Get holds c.mu
	v := "value of " + k
	c.m[k] = v
	c.mu.Unlock()
	return v
}

//go:noinline
func serve(ln net.Listener, ready chan<- struct{}) {
	target.NoteGoid("service")
	close(ready)
	for {
		conn, err := ln.Accept()
		if err != nil {
			target.Die("accept", err)
		}
		conn.Close()
	}
}

func main() {
	args := target.Parse("[HOLD_MS]")
	hold := 3000
	if len(args) > 1 {
		target.Usage("[HOLD_MS]")
	}
	if len(args) == 1 {
		hold = target.IntArg(args[0], 0, 3600000, "HOLD_MS")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		target.Die("listen", err)
	}
	ready := make(chan struct{})
	go serve(ln, ready)
	<-ready
	c := &cache{m: map[string]string{}}
	started := make(chan struct{})
	go func() {
		target.NoteGoid("handler")
		close(started)
		c.Get("missing")
		target.Die("Get returned: the second Lock did not block", nil)
	}()
	<-started
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// holdwait: a lock held across a blocking wait (hold-and-wait), the deadlock of the Go
// services whose handler keeps a read lock while it waits for a reply.
//
// Default (RWMutex and a channel): "reader" takes the registry's read lock and, still holding
// it, waits for a reply on a channel. "writer" then calls Lock, which waits for the read lock
// to go; "replier", who was to send the reply, first calls RLock, which queues behind the
// waiting writer (Go's RWMutex lets a waiting writer go first). Nobody moves again.
//
// -cond (Mutex and a sync.Cond): "waiter" locks the stats mutex, then waits on a Cond for an
// item (its Wait releases the Cond's own mutex, not the stats mutex); "producer" must update
// the stats before it pushes the item and signals, and blocks in the stats mutex's Lock.
//
// -ok: the clean twin of both. The reader copies what it needs under the read lock and
// releases it before it waits for the reply; the waiter releases the stats mutex before its
// Cond wait; the replier and producer take 1500 ms to answer, so those waits outlast a 1 s
// hang threshold, and a "slow" goroutine holds a Mutex for 1500 ms while sleeping (not
// parked on anything racetrace watches) while "queued" waits for it. Everything finishes.
//
// main keeps the process alive for HOLD_MS (default 3000) on a timer, so the runtime's "all
// goroutines are asleep" check never fires, then exits 0 (with -ok, after every goroutine
// ended). With --hang-threshold 1 racetrace must report the hold-and-wait (kind hang, detail
// hold-and-wait) once, naming the goroutines; with -ok nothing.
//
// Usage: holdwait [-w] [-cond] [-ok] [HOLD_MS]
package main

import (
	"sync"
	"time"

	"racetrace/targets/target"
)

const usage = "[-cond] [-ok] [HOLD_MS]"

type registry struct {
	mu sync.RWMutex
	m  map[string]int
}

// lookupAndWait adds the reply to the value of k, holding the read lock while it waits: the bug.
//
//go:noinline
func (r *registry) lookupAndWait(k string, reply <-chan int) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[k] + <-reply // parks with the read lock held
}

// lookupThenWait is the fix: the lock covers the map read only.
//
//go:noinline
func (r *registry) lookupThenWait(k string, reply <-chan int) int {
	r.mu.RLock()
	v := r.m[k]
	r.mu.RUnlock()
	return v + <-reply
}

//go:noinline
func (r *registry) set(k string, v int) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}

//go:noinline
func (r *registry) get(k string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[k]
}

func rwCase(ok bool, wg *sync.WaitGroup) {
	r := &registry{m: map[string]int{"a": 1}}
	reply := make(chan int)
	wg.Add(3)
	go func() {
		defer wg.Done()
		target.NoteGoid("reader")
		if ok {
			r.lookupThenWait("a", reply)
		} else {
			r.lookupAndWait("a", reply)
		}
	}()
	time.Sleep(100 * time.Millisecond) // the reader is parked on the reply
	go func() {
		defer wg.Done()
		target.NoteGoid("writer")
		r.set("b", 2)
	}()
	time.Sleep(100 * time.Millisecond) // the writer waits for the read lock (not with -ok)
	go func() {
		defer wg.Done()
		target.NoteGoid("replier")
		v := r.get("b")
		if ok {
			time.Sleep(1500 * time.Millisecond) // a slow answer, not a stuck one
		}
		reply <- v
	}()
}

type queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []int
}

type stats struct {
	mu     sync.Mutex
	pushed int
}

//go:noinline
func (q *queue) pop(st *stats, ok bool) int {
	st.mu.Lock()
	if ok {
		st.mu.Unlock()
	}
	q.mu.Lock()
	for len(q.items) == 0 {
		q.cond.Wait() // with the stats mutex still held, unless -ok
	}
	v := q.items[0]
	q.items = q.items[1:]
	q.mu.Unlock()
	if !ok {
		st.mu.Unlock()
	}
	return v
}

//go:noinline
func (q *queue) push(st *stats, v int) {
	st.mu.Lock() // blocks while the waiter holds it
	st.pushed++
	st.mu.Unlock()
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.cond.Signal()
}

func condCase(ok bool, wg *sync.WaitGroup) {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	st := &stats{}
	wg.Add(2)
	go func() {
		defer wg.Done()
		target.NoteGoid("waiter")
		q.pop(st, ok)
	}()
	time.Sleep(100 * time.Millisecond) // the waiter is in its Cond wait
	go func() {
		defer wg.Done()
		target.NoteGoid("producer")
		if ok {
			time.Sleep(1500 * time.Millisecond)
		}
		q.push(st, 7)
	}()
}

// slowCase: a long critical section that sleeps (not a park racetrace watches) while another
// goroutine waits for the lock: a slow holder, not a hold-and-wait.
func slowCase(wg *sync.WaitGroup) {
	var mu sync.Mutex
	held := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		target.NoteGoid("slow")
		mu.Lock()
		close(held)
		time.Sleep(1500 * time.Millisecond)
		mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		target.NoteGoid("queued")
		<-held
		mu.Lock()
		mu.Unlock()
	}()
}

func main() {
	args := target.Parse(usage)
	cond, ok := false, false
	hold := 3000
	for len(args) > 0 && len(args[0]) > 0 && args[0][0] == '-' {
		switch args[0] {
		case "-cond":
			cond = true
		case "-ok":
			ok = true
		default:
			target.Usage(usage)
		}
		args = args[1:]
	}
	if len(args) > 1 {
		target.Usage(usage)
	}
	if len(args) == 1 {
		hold = target.IntArg(args[0], 0, 3600000, "HOLD_MS")
	}
	var wg sync.WaitGroup
	switch {
	case ok:
		rwCase(true, &wg)
		condCase(true, &wg)
		slowCase(&wg)
	case cond:
		condCase(false, &wg)
	default:
		rwCase(false, &wg)
	}
	start := time.Now()
	if ok {
		wg.Wait()
	}
	if left := time.Duration(hold)*time.Millisecond - time.Since(start); left > 0 {
		time.Sleep(left)
	}
}

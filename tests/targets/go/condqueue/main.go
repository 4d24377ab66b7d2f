// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// condqueue: a bounded queue guarded by one sync.Mutex and two sync.Conds (notEmpty and
// notFull). Two consumers start first and wait on notEmpty; 10 ms later two producers push N
// items each, waiting on notFull whenever the queue is full. Each consumer records what it
// pops in a map that both consumers write, under the queue's Mutex. Cond.Wait unlocks and
// re-takes that Mutex (through sync.Locker: the out-of-line Lock), so every map write is
// ordered and racetrace must find nothing. The goroutines are started by spawn: from go1.25 on
// sync.WaitGroup.Go (wg_go125.go), before it Add and a deferred Done (wg_old.go). Ends by
// itself, exit 0; exit 1 if an item is lost or doubled.
//
// With -racy, the bug: pop records each consumer's first item in the shared map after it
// unlocked the queue, so the two consumers' writes are not ordered (racetrace: go-map-race
// between consumer0 and consumer1). Whether two such writes are unordered would depend on the
// interleaving (a consumer that pops again, or waits on the Cond, releases the mutex after its
// write), and under load one consumer can pop everything: so each consumer records its first
// item only once both have popped one, consumer0 first, ordered in time by gates
// (target.Gate), which make no happens-before edge. Later items are recorded under the lock,
// so the runtime's "concurrent map writes" check, which needs two writes at the same moment,
// never ends the program (its exit status stays 0, in -p mode too).
//
// Usage: condqueue [-w] [-racy] [N]   (items per producer, default 500)
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"racetrace/targets/target"
)

const capacity = 4

type queue struct {
	mu       sync.Mutex
	notEmpty *sync.Cond
	notFull  *sync.Cond
	items    []int
	closed   bool
	seen     map[int]int // item -> consumer, written by both consumers under mu
	racy     bool        // -racy: seen is written after mu is released
	// -racy: the consumers' first records wait until both popped (each consumer reads and
	// writes only its own first[who])
	first     [2]bool
	popped    [2]*target.Gate
	recorded  *target.Gate // consumer0's first write is done
	recorded1 *target.Gate // consumer1's first write is done
}

func newQueue() *queue {
	q := &queue{seen: map[int]int{}}
	q.notEmpty = sync.NewCond(&q.mu)
	q.notFull = sync.NewCond(&q.mu)
	return q
}

//go:noinline
func (q *queue) push(v int) {
	q.mu.Lock()
	for len(q.items) == capacity {
		q.notFull.Wait()
	}
	q.items = append(q.items, v)
	q.notEmpty.Signal()
	q.mu.Unlock()
}

// pop takes the next item and records it in seen; false once the queue is closed and empty.
//
//go:noinline
func (q *queue) pop(who int) bool {
	q.mu.Lock()
	for len(q.items) == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	if len(q.items) == 0 {
		q.mu.Unlock()
		return false
	}
	v := q.items[0]
	q.items = q.items[1:]
	q.notFull.Signal()
	if q.racy && !q.first[who] {
		// the bug, on each consumer's first item: recorded after the unlock. Both
		// consumers' first writes come after both pops, so neither is ordered before the
		// other's; consumer0 writes first, consumer1 after it, and consumer0 goes on only
		// then, in time, so the runtime's own check never sees two writes overlap (it would
		// crash the program)
		q.mu.Unlock()
		q.first[who] = true
		q.popped[who].Open()
		q.popped[1-who].Wait()
		if who == 1 {
			q.recorded.Wait()
		}
		record(q.seen, v, who)
		if who == 0 {
			q.recorded.Open()
			q.recorded1.Wait() // consumer1's write is done before any more of ours
		} else {
			q.recorded1.Open()
		}
		return true
	}
	record(q.seen, v, who)
	q.mu.Unlock()
	return true
}

//go:noinline
func record(seen map[int]int, v, who int) {
	if _, dup := seen[v]; dup {
		seen[-1-v] = who // a doubled item: main sees the key count off
	}
	seen[v] = who
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.notEmpty.Broadcast()
	q.mu.Unlock()
}

func main() {
	args := target.Parse("[-racy] [N]")
	q := newQueue()
	if len(args) > 0 && args[0] == "-racy" {
		q.racy = true
		q.popped = [2]*target.Gate{target.NewGate(), target.NewGate()}
		q.recorded, q.recorded1 = target.NewGate(), target.NewGate()
		args = args[1:]
	}
	n := 500
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 1000000, "N")
	}
	var consumers, producers sync.WaitGroup
	for c := 0; c < 2; c++ {
		c := c
		spawn(&consumers, func() {
			target.NoteGoid(fmt.Sprintf("consumer%d", c))
			for q.pop(c) {
			}
		})
	}
	time.Sleep(10 * time.Millisecond) // both consumers wait on notEmpty first
	for p := 0; p < 2; p++ {
		p := p
		spawn(&producers, func() {
			target.NoteGoid(fmt.Sprintf("producer%d", p))
			for i := 0; i < n; i++ {
				q.push(p*n + i)
			}
		})
	}
	producers.Wait()
	q.close()
	consumers.Wait()
	if len(q.seen) != 2*n {
		fmt.Fprintf(os.Stderr, "%s: %d distinct items popped, want %d\n", target.Name,
			len(q.seen), 2*n)
		os.Exit(1)
	}
}

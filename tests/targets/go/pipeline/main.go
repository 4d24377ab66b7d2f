// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// pipeline: a pipeline stage that stops reading and leaves the one before it blocked forever.
// A request "handler" goroutine (as a server starts one per request) makes a channel of
// capacity 2, starts "producer" to send N items (default 10) into it, and consumes them itself
// ("consumer"): the first item is an error, and the handler returns without draining the
// channel (nor telling the producer to stop). The producer fills the buffer and then blocks
// forever in a send on the full channel, which no goroutine that can run can reach any more.
// main waits for the handler through a Gate (nobody joins a request's goroutine), keeps the
// process alive for HOLD_MS (default 3000) and exits 0 with the producer still parked. Because
// main sleeps on a timer, the runtime's "all goroutines are asleep" check never fires. With
// --hang-threshold 1 racetrace must report the producer blocked on the channel send; with the
// default threshold (5 s) nothing.
//
// Usage: pipeline [-w] [HOLD_MS]
package main

import (
	"errors"
	"time"

	"racetrace/targets/target"
)

const items = 10

//go:noinline
func produce(out chan<- int) {
	target.NoteGoid("producer")
	for i := 0; i < items; i++ {
		out <- i // blocks forever once the buffer is full
	}
	close(out)
	target.Die("the producer sent every item", nil)
}

//go:noinline
func process(item int) error {
	if item >= 0 {
		return errors.New("bad item")
	}
	return nil
}

//go:noinline
func consume(in <-chan int) error {
	target.NoteGoid("consumer")
	for item := range in {
		if err := process(item); err != nil {
			return err // the bug: returns without draining in
		}
	}
	return nil
}

// handle serves one request: a producer stage feeding this goroutine, which consumes.
//
//go:noinline
func handle(done *target.Gate) {
	ch := make(chan int, 2)
	go produce(ch)
	if err := consume(ch); err == nil {
		target.Die("the consumer saw no error", nil)
	}
	done.Open()
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
	done := target.NewGate()
	go handle(done)
	done.Wait()
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

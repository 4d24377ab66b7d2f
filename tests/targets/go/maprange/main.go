// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// maprange: one goroutine ranges over a map while another writes to it, unsynchronized.
//
// By default the two are interleaved deterministically with raw-pipe gates (target.Gate, no
// happens-before edge): "ranger" starts the range and, at its first element, opens a gate and
// waits; "writer" adds a key and opens the gate back; the range goes on. No write overlaps a
// map operation of the ranger, so the runtime's check does not fire, but by Go's memory model
// the write races with the iteration (`go run -race` reports it). racetrace must report one
// race on the map between the two goroutines. Ends by itself, exit 0.
//
// With -crash the two run unsynchronized loops until the runtime itself catches them: the
// program dies with "fatal error: concurrent map iteration and map write" (or "concurrent map
// writes"), exit status 2. If the runtime has not caught them after 30 s it exits 3.
//
// Usage: maprange [-w] [-crash]
package main

import (
	"fmt"
	"os"
	"time"

	"racetrace/targets/target"
)

var m = map[int]int{0: 0, 1: 1, 2: 2, 3: 3}

//go:noinline
func rangeOnce(atFirst func()) int {
	sum, seen := 0, 0
	for k, v := range m {
		if seen == 0 && atFirst != nil {
			atFirst()
		}
		seen++
		sum += k + v
	}
	return sum
}

//go:noinline
func write(k int) {
	m[k] = k
}

func crash() {
	go func() {
		target.NoteGoid("writer")
		for i := 0; ; i++ {
			write(4 + i%64)
		}
	}()
	target.NoteGoid("ranger")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i := 0; i < 1000; i++ {
			rangeOnce(nil)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: the runtime did not catch the concurrent range and write\n",
		target.Name)
	os.Exit(3)
}

func main() {
	args := target.Parse("[-crash]")
	if len(args) > 1 || (len(args) == 1 && args[0] != "-crash") {
		target.Usage("[-crash]")
	}
	if len(args) == 1 {
		crash()
	}
	toWriter, toRanger := target.NewGate(), target.NewGate()
	done := make(chan struct{})
	go func() {
		target.NoteGoid("writer")
		toWriter.Wait()
		write(100)
		toRanger.Open()
		done <- struct{}{}
	}()
	go func() {
		target.NoteGoid("ranger")
		rangeOnce(func() {
			toWriter.Open()
			toRanger.Wait()
		})
		done <- struct{}{}
	}()
	<-done // main's check below is ordered after both goroutines, which stay unordered
	<-done
	if len(m) != 5 || m[100] != 100 {
		fmt.Fprintf(os.Stderr, "%s: map has %d keys\n", target.Name, len(m))
		os.Exit(1)
	}
}

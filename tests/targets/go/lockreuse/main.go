// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// lockreuse: a consistent lock order on short-lived objects. Each of ROUNDS rounds makes a
// parent and a child node (in either order), locks the parent, then the child, and drops both;
// a collection every 50 rounds (runtime.GC) frees them. The next rounds' nodes get the dead
// ones' addresses, often with the roles swapped: an address locked first in one round is
// locked second in a later one. Each mutex is only ever taken parent first, so racetrace must
// report nothing (it would see a lock-order inversion if it took an address for one lock
// forever). The program checks that the roles did swap, and fails (exit 1) if they never did.
//
// Ends by itself, exit 0. Usage: lockreuse [-w] [ROUNDS]   (default 2000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"racetrace/targets/target"
)

type node struct {
	mu  sync.Mutex
	val int
	pad [48]byte
}

//go:noinline
func update(parent, child *node) {
	parent.mu.Lock()
	child.mu.Lock()
	child.val += parent.val + 1
	child.mu.Unlock()
	parent.mu.Unlock()
}

func main() {
	rounds := 2000
	if args := target.Parse("[ROUNDS]"); len(args) > 0 {
		rounds = target.IntArg(args[0], 100, 1000000, "ROUNDS")
	}
	role := map[uintptr]int{} // address -> 0 (was a parent) or 1 (was a child)
	swapped := 0
	for r := 0; r < rounds; r++ {
		var parent, child *node
		if r%3 == 0 {
			child = new(node)
			parent = new(node)
		} else {
			parent, child = new(node), new(node)
		}
		update(parent, child)
		for k, p := range []*node{parent, child} {
			a := uintptr(unsafe.Pointer(p))
			if old, ok := role[a]; ok && old != k {
				swapped++
			}
			role[a] = k
		}
		if r%50 == 49 {
			runtime.GC()
		}
	}
	if swapped == 0 {
		fmt.Fprintf(os.Stderr, "%s: no address changed roles in %d rounds\n", target.Name, rounds)
		os.Exit(1)
	}
}

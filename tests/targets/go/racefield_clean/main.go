// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// racefield_clean: racefield's clean twin. The same goroutines and loop, but the counter is a
// sync/atomic Int64 (`lock xadd`), and main reads it after the WaitGroup: racetrace --races
// must report nothing, while seeing the accesses. Exit 0.
//
// Usage: racefield_clean [-w] [N]   (default 300 rounds per goroutine)
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"racetrace/targets/target"
)

type stats struct {
	mu    sync.Mutex
	other int
	hits  atomic.Int64
}

var s stats

//go:noinline
func bump(st *stats) {
	st.hits.Add(1)
}

func main() {
	args := target.Parse("[N]")
	n := 300
	if len(args) > 0 {
		n = target.IntArg(args[0], 1, 10000000, "N")
	}
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				s.mu.Lock()
				s.other++
				s.mu.Unlock()
				bump(&s)
			}
		}()
	}
	wg.Wait()
	if s.hits.Load() != int64(3*n) || s.other != 3*n {
		fmt.Fprintf(os.Stderr, "%s: hits %d other %d\n", target.Name, s.hits.Load(), s.other)
		os.Exit(1)
	}
}

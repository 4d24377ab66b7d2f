// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// gobench: the Go lock/channel microbenchmark of `make bench` (bench/bench.py). Two goroutines
// each run N iterations of: lock one of four sync.Mutex (Lock and Unlock are inlined, so this
// is what a probed inlined call site costs), update a map under it, unlock; every 8th
// iteration also a non-blocking send and receive on a buffered channel. Prints one JSON line
// on stdout: {"ops_per_s", "seconds", "pairs", "maxrss_kb"} (pairs: lock+unlock pairs, all
// goroutines; the rate is pairs per second, measured around the loop only).
//
//	-n N    iterations per goroutine (default 1000000)
//	-wait   print "ready" and wait for SIGUSR1 before the loop (a tracer attaches with -p)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

const goroutines = 2

//go:noinline
func work(g, n int, locks *[4]sync.Mutex, maps *[4]map[int]int, ch chan int) {
	for i := 0; i < n; i++ {
		k := (i + g) & 3
		locks[k].Lock()
		maps[k][i&1023]++
		locks[k].Unlock()
		if i&7 == 0 {
			select {
			case ch <- i:
			default:
			}
			select {
			case <-ch:
			default:
			}
		}
	}
}

func main() {
	n := flag.Int("n", 1000000, "iterations per goroutine")
	wait := flag.Bool("wait", false, "print ready and wait for SIGUSR1 before the loop")
	flag.Parse()
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "gobench: -n must be at least 1")
		os.Exit(1)
	}
	if *wait {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGUSR1)
		fmt.Println("ready")
		<-c
	}
	var locks [4]sync.Mutex
	var maps [4]map[int]int
	for i := range maps {
		maps[i] = map[int]int{}
	}
	ch := make(chan int, 16)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			work(g, *n, &locks, &maps, ch)
		}(g)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "gobench: getrusage:", err)
		os.Exit(1)
	}
	pairs := goroutines * *n
	out, _ := json.Marshal(map[string]interface{}{
		"ops_per_s": float64(pairs) / secs, "seconds": secs, "pairs": pairs,
		"maxrss_kb": ru.Maxrss,
	})
	fmt.Println(string(out))
}

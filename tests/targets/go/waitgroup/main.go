// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// waitgroup: W worker goroutines each fill their own slot of a shared slice and their own map,
// then call wg.Done; main calls wg.Wait and only then reads every slot and map. The
// WaitGroup's Done -> Wait edges order every write before the reads, so racetrace must find
// nothing. Ends by itself, exit 0.
//
// Usage: waitgroup [-w] [W]   (workers, default 4)
package main

import (
	"fmt"
	"os"
	"sync"

	"racetrace/targets/target"
)

//go:noinline
func work(i int, slots []int, maps []map[int]int, wg *sync.WaitGroup) {
	defer wg.Done()
	target.NoteGoid(fmt.Sprintf("worker%d", i))
	m := map[int]int{}
	for k := 0; k < 100; k++ {
		m[k] = k * i
	}
	maps[i] = m
	slots[i] = i + 1
}

func main() {
	args := target.Parse("[W]")
	w := 4
	if len(args) > 0 {
		w = target.IntArg(args[0], 1, 1000, "W")
	}
	slots := make([]int, w)
	maps := make([]map[int]int, w)
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		wg.Add(1)
		go work(i, slots, maps, &wg)
	}
	wg.Wait()
	for i := 0; i < w; i++ {
		if slots[i] != i+1 || len(maps[i]) != 100 || maps[i][99] != 99*i {
			fmt.Fprintf(os.Stderr, "%s: worker %d's results are wrong\n", target.Name, i)
			os.Exit(1)
		}
	}
}

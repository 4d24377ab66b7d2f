// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// rwshard: a clean sharded store, as in tests/targets/gosvc: each shard is a sync.RWMutex field
// next to its map, in an array of shards. put takes the write lock with a deferred Unlock and
// writes the map; get read-locks, reads the map (a call, after which the shard pointer is
// reloaded from the stack right before RUnlock's `lock xadd`) and read-unlocks. Many short-lived
// goroutines put and get the same few keys for ROUNDS rounds. Every map access is under its
// shard's lock: racetrace must report nothing. Before RUnlock's probe could go on that reload
// (go1.26), it went after the xadd, a writer's Lock that returned on it was sometimes streamed
// before the RUnlock, and 3000 rounds showed a false go-map-race between put and get.
//
// Ends by itself, exit 0. Usage: rwshard [-w] [ROUNDS]   (default 3000)
package main

import (
	"fmt"
	"os"
	"sync"

	"racetrace/targets/target"
)

const nshards = 4

type shard struct {
	mu   sync.RWMutex
	data map[int]int
}

type store struct {
	shards [nshards]shard
}

//go:noinline
func (s *store) shard(k int) *shard { return &s.shards[k%nshards] }

//go:noinline
func (s *store) put(k, v int) {
	sh := s.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.data[k] = v
}

//go:noinline
func (s *store) get(k int) (int, bool) {
	sh := s.shard(k)
	sh.mu.RLock()
	v, ok := sh.data[k]
	sh.mu.RUnlock()
	return v, ok
}

func main() {
	rounds := 3000
	if args := target.Parse("[ROUNDS]"); len(args) > 0 {
		rounds = target.IntArg(args[0], 1, 1000000, "ROUNDS")
	}
	s := &store{}
	for i := range s.shards {
		s.shards[i].data = make(map[int]int)
	}
	var wg sync.WaitGroup
	for r := 0; r < rounds; r++ {
		// a writer and three readers a round, each a new goroutine (a request's handler)
		wg.Add(4)
		go func(r int) {
			defer wg.Done()
			for k := 0; k < 8; k++ {
				s.put(k, r)
			}
		}(r)
		for i := 0; i < 3; i++ {
			go func() {
				defer wg.Done()
				for k := 0; k < 8; k++ {
					s.get(k)
				}
			}()
		}
		if r%16 == 15 {
			wg.Wait()
		}
	}
	wg.Wait()
	if v, ok := s.get(0); !ok || v < 0 {
		fmt.Fprintf(os.Stderr, "%s: get(0) = %d, %v\n", target.Name, v, ok)
		os.Exit(1)
	}
}

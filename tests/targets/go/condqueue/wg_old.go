// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

//go:build !go1.25

package main

import "sync"

// spawn starts f as a goroutine the WaitGroup waits for (before go1.25: Add and Done).
func spawn(wg *sync.WaitGroup, f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

//go:build go1.25

package main

import "sync"

// spawn starts f as a goroutine the WaitGroup waits for: sync.WaitGroup.Go (go1.25+).
func spawn(wg *sync.WaitGroup, f func()) {
	wg.Go(f)
}

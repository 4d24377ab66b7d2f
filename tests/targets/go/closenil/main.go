// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// closenil: a close of a nil channel. Goroutine "closer" closes a channel field that was
// never made (a struct whose constructor forgot the make), and the runtime panics: "panic:
// close of nil channel", exit status 2. racetrace must report go-chan-close-nil naming the
// goroutine.
//
// Usage: closenil [-w]
package main

import (
	"racetrace/targets/target"
)

type service struct {
	quit chan struct{}
}

//go:noinline
func (s *service) stop() {
	close(s.quit)
}

func main() {
	if args := target.Parse(""); len(args) > 0 {
		target.Usage("")
	}
	s := &service{} // quit was never made
	final := make(chan struct{})
	go func() {
		target.NoteGoid("closer")
		s.stop() // panics: the whole program dies here
		close(final)
	}()
	<-final
	target.Die("the close did not panic", nil)
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// acceptloop: the clean twin of the hang targets, a service idle in its accept loop. "service"
// listens on a loopback address (127.0.0.1, port chosen by the kernel) and loops on Accept;
// "client" connects once and writes one line, which the service reads before going back to
// Accept, where it stays parked (in the network poller) for the rest of the run. main keeps
// the process alive for HOLD_MS (default 3000), closes nothing and exits 0. A server waiting
// for connections is not hung: racetrace must report nothing, even with --hang-threshold 1.
//
// Usage: acceptloop [-w] [HOLD_MS]
package main

import (
	"bufio"
	"net"
	"time"

	"racetrace/targets/target"
)

//go:noinline
func handle(conn net.Conn) {
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "hello\n" {
		target.Die("bad request '"+line+"'", err)
	}
}

//go:noinline
func serve(ln net.Listener, handled chan<- struct{}) {
	target.NoteGoid("service")
	for {
		conn, err := ln.Accept() // parked here after the first connection
		if err != nil {
			target.Die("accept", err)
		}
		handle(conn)
		handled <- struct{}{}
	}
}

//go:noinline
func request(addr string, sent chan<- struct{}) {
	target.NoteGoid("client")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		target.Die("dial", err)
	}
	if _, err := conn.Write([]byte("hello\n")); err != nil {
		target.Die("write", err)
	}
	conn.Close()
	close(sent)
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		target.Die("listen", err)
	}
	handled := make(chan struct{}, 1)
	sent := make(chan struct{})
	go serve(ln, handled)
	go request(ln.Addr().String(), sent)
	<-sent
	<-handled
	time.Sleep(time.Duration(hold) * time.Millisecond)
}

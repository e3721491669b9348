// goprog: the operations of bench/model (spawn.c, pingpong.c, cgocall.c)
// written in Go, so that bench/transitions/run.sh can set what Go's own
// -race build adds per operation beside what the model runtime on racewire
// adds. Each mode prints one line per figure in bench/model's format
// ("LABEL N ns/op"), so one parser reads both.
//
//	goprog spawn|pingpong|cgocall [N]
//
// Run with GOMAXPROCS=1, as the model runs with MD_PROCS=1: on one P no
// figure depends on how the OS places two threads.
package main

/*
// An empty C function, and one that calls back into Go (goCallback, in
// callback.go): cgo's own wrappers, as in any cgo program.
#cgo CFLAGS: -O2
long empty(long x);
long calls_back(long x);
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func spawn(n int) {
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i += 100 {
		wg.Add(100)
		for j := 0; j < 100; j++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
	}
	fmt.Printf("spawn+join %.0f ns/op\n", float64(time.Since(t0).Nanoseconds())/float64(n))
}

func pingpong(n int) {
	ping, pong := make(chan int), make(chan int)
	done := make(chan bool)
	go func() {
		for v := range ping {
			pong <- v
		}
		done <- true
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	d := time.Since(t0)
	close(ping)
	<-done
	fmt.Printf("chan ping-pong %.0f ns/round trip\n", float64(d.Nanoseconds())/float64(n))
}

func cgocall(n int) {
	s := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		s += int(C.empty(1))
	}
	fmt.Printf("cgocall round trip %.0f ns/op\n", float64(time.Since(t0).Nanoseconds())/float64(n))
	t0 = time.Now()
	for i := 0; i < n/5; i++ {
		s += int(C.calls_back(1))
	}
	fmt.Printf("cgocall+callback round trip %.0f ns/op\n",
		float64(time.Since(t0).Nanoseconds())/float64(n/5))
	if s != n+n/5 {
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: goprog spawn|pingpong|cgocall [N]")
		os.Exit(2)
	}
	n := 200000
	if os.Args[1] == "cgocall" {
		n = 500000
	}
	if len(os.Args) == 3 {
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "goprog: N must be a positive count, not %q\n", os.Args[2])
			os.Exit(2)
		}
		n = v
	}
	switch os.Args[1] {
	case "spawn":
		spawn(n)
	case "pingpong":
		pingpong(n)
	case "cgocall":
		cgocall(n)
	default:
		fmt.Fprintf(os.Stderr, "goprog: unknown operation %q (spawn, pingpong, cgocall)\n", os.Args[1])
		os.Exit(2)
	}
}

// The Go benchmarks of bench/go/run.sh: the operations whose race calls
// racewire's guard wraps (goroutine start and end, channel and mutex
// synchronization, cgo calls and callbacks) and the ones it leaves alone
// (plain memory accesses). Built with -race once per race runtime; each
// run prints "name ns/op" lines for run.sh to interleave and compare.
//
//	bench [-ms N] [-only NAME] [-n COUNT]
//
// -ms: milliseconds per benchmark (default 300); -only: run one benchmark;
// -n: run exactly COUNT operations instead (for instruction counts under
// callgrind, where time means nothing).
package main

/*
extern void benchCallback(void);
static void cNoop(void) {}
static void cCallGo(void) { benchCallback(); }
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

//export benchCallback
func benchCallback() {}

var (
	sink  int
	only  = flag.String("only", "", "run only this benchmark")
	count = flag.Int("n", 0, "run exactly this many operations (0: timed)")
)

// run calls body with growing counts until one call lasts ms, then reports
// that call's ns per op.
func run(name string, ms int, body func(n int)) {
	if *only != "" && *only != name {
		return
	}
	if *count > 0 {
		start := time.Now()
		body(*count)
		fmt.Printf("%s %.1f\n", name, float64(time.Since(start).Nanoseconds())/float64(*count))
		return
	}
	for n := 1; ; n *= 2 {
		start := time.Now()
		body(n)
		d := time.Since(start)
		if d >= time.Duration(ms)*time.Millisecond || n >= 1<<30 {
			fmt.Printf("%s %.1f\n", name, float64(d.Nanoseconds())/float64(n))
			return
		}
	}
}

func main() {
	ms := flag.Int("ms", 300, "milliseconds per benchmark")
	flag.Parse()
	if *ms < 1 || *count < 0 {
		fmt.Fprintln(os.Stderr, "bench: -ms must be >= 1 and -n >= 0")
		os.Exit(2)
	}
	run("spawn-join", *ms, func(n int) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { wg.Done() }()
			wg.Wait()
		}
	})
	run("chan-pingpong", *ms, func(n int) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
		}()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		close(ping)
	})
	run("mutex-handoff", *ms, func(n int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		shared := 0
		wg.Add(2)
		for g := 0; g < 2; g++ {
			go func() {
				defer wg.Done()
				for i := 0; i < n/2+1; i++ {
					mu.Lock()
					shared++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sink += shared
	})
	run("cgo-call", *ms, func(n int) {
		for i := 0; i < n; i++ {
			C.cNoop()
		}
	})
	run("cgo-callback", *ms, func(n int) {
		for i := 0; i < n; i++ {
			C.cCallGo()
		}
	})
	run("memory-loop", *ms, func(n int) {
		buf := make([]int, 1024)
		for i := 0; i < n; i++ {
			buf[i&1023] += buf[(i+1)&1023]
		}
		sink += buf[0]
	})
}

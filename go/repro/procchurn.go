// Two goroutines on two Ps that keep TSan using its Processor: every
// iteration makes a new channel, whose first send makes TSan allocate a
// sync object from the Processor's cache, and the garbage they leave makes
// the sweeper free memory through __tsan_free, which frees sync objects
// into the same cache. Correctly synchronized: run as is it is clean.
// Under go/patches/shared-processor.patch, where every P shares P 0's
// Processor, the two goroutines' Ms use one Processor's caches at once:
// the stock race object crashes (SIGSEGV inside TSan), racewire's names
// both threads.
//
//	procchurn [-n ITERATIONS]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
)

func main() {
	n := flag.Int("n", 200000, "iterations per goroutine")
	flag.Parse()
	runtime.GOMAXPROCS(2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < *n; i++ {
				c := make(chan int, 1)
				c <- i
				<-c
			}
		}()
	}
	wg.Wait()
	fmt.Println("procchurn: ok")
}

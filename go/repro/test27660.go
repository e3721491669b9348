// The goroutine bodies are Go's (Copyright 2018 The Go Authors; BSD-style
// license, see the LICENSE file of the Go distribution).
//
// Go's test27660 (misc/cgo/test/test.go, added by Go commit e496e612b7f4
// for Go issue 27660, seed 001) as a stress reproducer: the same goroutines,
// a bounded run, exit 0 when it survives.
//
// Hazard: 100 goroutines sleep in C for 1 ms at a time, long enough for
// sysmon to retake their P and hand it to another M, while 100 others hammer
// mutexes (race sync annotations through the Processor). With a cgocall that
// makes race calls in the syscall window (go/patches/seed001-*), the M coming
// back from C uses a Processor another M is driving.
//
// Knobs: -n goroutine pairs (default 100, as Go's test), -ms run time after
// the last pair started (default 100).
package main

// #include <unistd.h>
import "C"

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 100, "goroutine pairs")
	ms := flag.Int("ms", 100, "milliseconds to run after the last pair started")
	flag.Parse()
	if *n < 1 || *ms < 0 {
		fmt.Fprintln(os.Stderr, "test27660: -n must be >= 1 and -ms >= 0")
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ints := make([]int, 100)
	locks := make([]sync.Mutex, 100)
	var wg sync.WaitGroup
	// Slowly create threads so that ThreadSanitizer is forced to
	// frequently resize its SyncClocks.
	for i := 0; i < *n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				// Sleep in C for long enough that it is likely that the
				// runtime will retake this goroutine's currently wired P.
				C.usleep(1000 /* 1ms */)
				runtime.Gosched() // avoid starvation (see Go issue 28701)
			}
		}()
		go func() {
			defer wg.Done()
			// Lots of synchronization and memory reads/writes, so that
			// the race of Go issue 27660 corrupts ThreadSanitizer's
			// internal state.
			i := 0
			for ctx.Err() == nil {
				j := rand.Intn(100)
				locks[j].Lock()
				ints[j]++
				locks[j].Unlock()
				if i%(1<<24) == 0 {
					runtime.Gosched()
				}
				i++
			}
		}()
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(*ms) * time.Millisecond)
	cancel()
	wg.Wait()
	fmt.Println("test27660: ok")
}

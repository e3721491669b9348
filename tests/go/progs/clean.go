// The correct twin of racy.go, with the sync primitives whose race calls
// racewire guards (mutex, channel, WaitGroup, atomics, goroutine start and
// end, a cgo call): expected clean, exit 0, nothing from racewire.
package main

// static int twice(int x) { return 2 * x; }
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
)

func main() {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		counter int
		hits    int64
	)
	ch := make(chan int)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mu.Lock()
			counter += int(C.twice(C.int(i)))
			mu.Unlock()
			atomic.AddInt64(&hits, 1)
			ch <- i
		}(i)
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += <-ch
	}
	wg.Wait()
	fmt.Println("counter", counter, "sum", sum, "hits", atomic.LoadInt64(&hits))
}

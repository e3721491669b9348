// A data race racewire-go must report: two goroutines increment one
// counter without synchronization. Expected: TSan's report with both
// stacks (racy.go lines), exit status 66.
package main

import (
	"fmt"
	"sync"
)

var counter int

func bump(wg *sync.WaitGroup) {
	defer wg.Done()
	counter++ // the race: read and write from two goroutines
}

func main() {
	var wg sync.WaitGroup
	wg.Add(2)
	go bump(&wg)
	go bump(&wg)
	wg.Wait()
	fmt.Println("counter", counter)
}

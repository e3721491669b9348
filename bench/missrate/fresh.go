// bench/missrate/fresh.go [TRIALS [fresh|warm]]: fresh.c's twin in Go, for Go's own
// race runtime (go build -race), run with GOMAXPROCS=2 by run.sh.
//
// Each trial starts two goroutines that spin until one deadline and then
// both write the same word of a package-level row no access has touched
// before (rows 4 KiB apart: a shadow page of its own). Nothing orders the
// two writes: each trial is one race. Go's race runtime shadows data and
// bss on first touch, as racewire does with prefault_shadow=0. In warm
// mode main first writes another word of the row (same shadow page, its
// own cell), before starting the writers.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

const (
	maxTrials = 2000
	row       = 4096 / 8 // int64 words per trial
	spin      = 2 * time.Millisecond
	closeNS   = time.Microsecond // "at the same moment"
)

var arena [maxTrials * row]int64

// When each writer left its spin: written after the racing write (each
// writer its own slot), read by main after both sends.
var left [maxTrials][2]time.Time

//go:noinline
func writer(i, k int, deadline time.Time, done chan bool) {
	now := time.Now()
	for now.Before(deadline) {
		now = time.Now()
	}
	arena[i*row] = 1
	left[i][k] = now
	done <- true
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 || v > maxTrials {
			fmt.Fprintf(os.Stderr, "fresh: TRIALS must be 1..%d, not '%s'\n", maxTrials, os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	warm := false
	if len(os.Args) > 2 {
		warm = os.Args[2] == "warm"
		if !warm && os.Args[2] != "fresh" {
			fmt.Fprintf(os.Stderr, "fresh: the mode is fresh or warm, not '%s'\n", os.Args[2])
			os.Exit(2)
		}
	}
	done := make(chan bool, 2)
	close := 0
	for i := 0; i < n; i++ {
		if warm {
			arena[i*row+8] = 1
		}
		deadline := time.Now().Add(spin)
		go writer(i, 0, deadline, done)
		go writer(i, 1, deadline, done)
		<-done
		<-done
		d := left[i][0].Sub(left[i][1])
		if d > -closeNS && d < closeNS {
			close++
		}
	}
	fmt.Printf("fresh: %d trials, %d with both writers leaving their spin within %d us\n",
		n, close, closeNS/time.Microsecond)
}

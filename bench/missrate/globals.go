// Go's TestRaceIntRWGlobalFuncs (runtime/race/testdata/mop_test.go) as a
// program: two goroutines race on package-level variables, whose shadow no
// one has touched before. The twin of the fidelity suite's
// RaceIntRWGlobalFuncs case, for bench/missrate/run.sh. Exit 66 means Go's
// race runtime reported the race.
package main

var GlobalX, GlobalY int
var GlobalCh = make(chan int, 2)

func GlobalFunc1() {
	GlobalY = GlobalX
	GlobalCh <- 1
}

func GlobalFunc2() {
	GlobalX = 1
	GlobalCh <- 1
}

func main() {
	go GlobalFunc1()
	go GlobalFunc2()
	<-GlobalCh
	<-GlobalCh
}

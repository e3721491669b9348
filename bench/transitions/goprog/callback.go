package main

// The callback lives in its own file: a file that //exports a function
// may only declare, not define, C functions in its preamble.

import "C"

//export goCallback
func goCallback(x C.long) C.long { return x }

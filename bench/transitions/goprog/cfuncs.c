/* The C side of goprog: what the model's bench/model/cgocall.c calls. */
#include "_cgo_export.h"

__attribute__((noinline)) long empty(long x)
{
	__asm__ volatile("" ::: "memory");
	return x;
}

long calls_back(long x)
{
	return goCallback(x);
}

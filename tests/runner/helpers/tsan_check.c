/* Runner test helper: output shaped like a ThreadSanitizer internal CHECK
 * failure, with exit status 66.  It also prints a race report first, to pin
 * the documented order (tsan_check wins over race). */
#include <stdio.h>

int main(void)
{
	fputs("WARNING: DATA RACE\n"
	      "ThreadSanitizer: CHECK failed: tsan_rtl.cpp:358 "
	      "\"((!thr->slot_locked)) != (0)\" (0x0, 0x0) (tid=1)\n",
	      stderr);
	return 66;
}

/*
 * The heap registration rules as pure logic (no TSan): the application
 * range, keeping clear of data+bss's shadow, and upward growth.
 */
#include <criterion/criterion.h>

#include "../../shim/internal.h"

#include <string.h>

static const struct rw__heap_layout fresh = {.data_begin = 0x600000, .data_end = 0x630000};

Test(heap_check, accepts_first_heap_in_range)
{
	char msg[256] = "";
	cr_expect_eq(rw__heap_check(&fresh, 0xc000000000, 1 << 20, msg, sizeof msg), 0, "%s", msg);
	cr_expect_eq(rw__heap_check(&fresh, 0x1000, 0x1000, msg, sizeof msg), 0, "%s", msg);
	cr_expect_eq(rw__heap_check(&fresh, 0xe000000000 - 0x1000, 0x1000, msg, sizeof msg), 0, "%s", msg);
}

Test(heap_check, refuses_outside_application_range)
{
	char msg[256];
	cr_expect_eq(rw__heap_check(&fresh, 0, 0x1000, msg, sizeof msg), RW_ERANGE);
	cr_expect(strstr(msg, "outside TSan's application range [0x1000, 0xe000000000)"), "%s", msg);
	cr_expect_eq(rw__heap_check(&fresh, 0xe000000000 - 0x1000, 0x2000, msg, sizeof msg), RW_ERANGE);
	cr_expect_eq(rw__heap_check(&fresh, 0x7f0000000000, 0x1000, msg, sizeof msg), RW_ERANGE);
	cr_expect_eq(rw__heap_check(&fresh, UINTPTR_MAX - 10, 100, msg, sizeof msg), RW_ERANGE,
	             "wrap-around");
}

Test(heap_check, refuses_empty)
{
	char msg[256];
	cr_expect_eq(rw__heap_check(&fresh, 0xc000000000, 0, msg, sizeof msg), RW_EINVAL);
	cr_expect(strstr(msg, "empty range"), "%s", msg);
}

Test(heap_check, keeps_clear_of_data_shadow)
{
	char msg[256];
	cr_expect_eq(rw__heap_check(&fresh, 0x620000, 0x100000, msg, sizeof msg), RW_ERANGE);
	cr_expect(strstr(msg, "within 128 KiB of the executable's data+bss [0x600000, 0x630000)"),
	          "%s", msg);
	cr_expect_eq(rw__heap_check(&fresh, 0x638000, 0x1000, msg, sizeof msg), RW_ERANGE,
	             "within data's last 128 KiB meta-shadow step");
	cr_expect_eq(rw__heap_check(&fresh, 0x640000, 0x1000, msg, sizeof msg), 0, "%s", msg);
}

Test(heap_check, grows_upward_only)
{
	struct rw__heap_layout l = fresh;
	l.heap_begin = 0xc000000000;
	l.heap_end = rw__heap_registered_end(0xc000000000, 0x100000);
	cr_expect_eq(l.heap_end, 0xc000100000, "already on a step");
	char msg[256];
	cr_expect_eq(rw__heap_check(&l, 0xc000100000, 0x100000, msg, sizeof msg), 0, "adjacent above");
	cr_expect_eq(rw__heap_check(&l, 0xc100000000, 0x1000, msg, sizeof msg), 0, "gap above");
	cr_expect_eq(rw__heap_check(&l, 0xc000001000, 0x1000, msg, sizeof msg), 1, "already covered");
	cr_expect_eq(rw__heap_check(&l, 0xbff0000000, 0x1000, msg, sizeof msg), RW_ERANGE);
	cr_expect(strstr(msg, "starts below the first heap range at 0xc000000000"), "%s", msg);
	cr_expect_eq(rw__heap_check(&l, 0xbfffff0000, 0x200000, msg, sizeof msg), RW_ERANGE,
	             "straddling the first range's start");
}

/* TSan's meta shadow moves in 128 KiB steps of application memory, and
 * each heap call must end in a later step (CHECK_GT in MapShadow). */
Test(heap_check, registrations_round_to_meta_step)
{
	cr_expect_eq(rw__heap_registered_end(0xc000000000, 0x10000), 0xc000020000);
	cr_expect_eq(rw__heap_registered_end(0xc000000000, 0x20000), 0xc000020000);
	cr_expect_eq(rw__heap_registered_end(0xc000000000, 0x20001), 0xc000040000);
	struct rw__heap_layout l = fresh;
	l.heap_begin = 0xc000000000;
	l.heap_end = rw__heap_registered_end(0xc000000000, 0x10000);
	char msg[256];
	cr_expect_eq(rw__heap_check(&l, 0xc000010000, 0x10000, msg, sizeof msg), 1,
	             "the next 64 KiB lies in the step already registered");
	cr_expect_eq(rw__heap_check(&l, 0xc000010000, 0x20000, msg, sizeof msg), 0);
}

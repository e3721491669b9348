/*
 * tests/fidelity/mop2.c - the rest of Go's
 * src/runtime/race/testdata/mop_test.go: what each Go expression reads
 * and writes, spelled out (mop.c has the first part and the conventions).
 *
 * An interface, string, error or func value is a two-word variable here
 * (struct iface), read and written as a whole (rdn/wrn), as Go's compiler
 * instruments it. A method value or call on a value receiver reads the
 * receiver; on a pointer receiver it reads only the pointer.
 */
#include "cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct iface {
	void *tab, *data;
};

static void ch_true(void)
{
	send(F.c, 1);
}

/* ---- appends and calls ---------------------------------------------------- */

struct X {
	long x, y;
};
static struct X *XS;

static void append_xs(void)
{
	struct X *y = md_alloc(10 * sizeof *y); /* make([]X, 0, 10) */
	rdn(XS, 10 * sizeof *XS);                /* y = append(y, x...) */
	wrn(y, 10 * sizeof *y);
	ch_true();
}

FCASE(RaceAppendSliceStruct, RACE)
{
	F.c = mkchan(1);
	XS = md_alloc(10 * sizeof *XS);
	go0(append_xs);
	wr(&XS[1].y, 42);
	recv(F.c);
}

/* var s []byte: s, err = func() ([]byte, error){...}() writes s. */
static struct {
	void *p;
	long len, cap;
} S;

static void asfunc1_g(void)
{
	char *t = md_alloc(11); /* []byte("hello world") */
	wrn(t, 11);
	wrn(&S, sizeof S);
	S.p = t;
	S.len = S.cap = 11;
	ch_true();
}

FCASE(RaceAsFunc1, RACE)
{
	F.c = mkchan(1);
	go0(asfunc1_g);
	rdn(&S, sizeof S); /* _ = string(s): the header (s is nil or not) */
	recv(F.c);
}

static void asfunc2_g(void)
{
	rd(&F.x); /* func(x int){}(x) */
	ch_true();
}

FCASE(RaceAsFunc2, RACE)
{
	F.c = mkchan(1);
	go0(asfunc2_g);
	wr(&F.x, 42);
	recv(F.c);
}

/* x, y = f(): both written; the main task reads one, then (after done)
 * both. */
static void blockcall_ptr_first(void)
{
	long *i = md_alloc(sizeof *i);
	wr(i, 42);
	wrp(&F.ptr, i);
	wr(&F.y, 43);
	send(F.done, 1);
}

static void blockcall_ptr_second(void)
{
	long *i = md_alloc(sizeof *i);
	wr(i, 43);
	wr(&F.x, 42);
	wrp(&F.ptr, i);
	send(F.done, 1);
}

static void blockcall_check(long xv, long yv)
{
	if (xv != 42 || yv != 43)
		md_panic("corrupted data");
}

FCASE(RaceBlockCall3, RACE)
{
	F.done = mkchan(0);
	go0(blockcall_ptr_first);
	rdp(&F.ptr); /* _ = x */
	recv(F.done);
	blockcall_check(rd(rdp(&F.ptr)), rd(&F.y));
}

FCASE(RaceBlockCall4, RACE)
{
	F.done = mkchan(0);
	go0(blockcall_ptr_second);
	rdp(&F.ptr); /* _ = y */
	recv(F.done);
	blockcall_check(rd(&F.x), rd(rdp(&F.ptr)));
}

FCASE(RaceBlockCall5, RACE)
{
	F.done = mkchan(0);
	go0(blockcall_ptr_first);
	rd(&F.y); /* _ = y */
	recv(F.done);
	blockcall_check(rd(rdp(&F.ptr)), rd(&F.y));
}

FCASE(RaceBlockCall6, RACE)
{
	F.done = mkchan(0);
	go0(blockcall_ptr_second);
	rd(&F.x); /* _ = x */
	recv(F.done);
	blockcall_check(rd(&F.x), rd(rdp(&F.ptr)));
}

/* ---- maps of maps (issues 6418, 5890) ------------------------------------ */

static md_map_t *MM;

static md_map_t *inner(long k)
{
	md_map_t *in = NULL;
	md_map_get(MM, &k, &in);
	return in;
}

static void mm_make(void)
{
	MM = md_map_make(sizeof(long), sizeof(md_map_t *));
	md_map_t *in = md_map_make(sizeof(long), sizeof(long));
	long k = 0, v = 2; /* "a": {"b": "c"} as 0: {1: 2} */
	md_map_set(MM, &k, &in);
	k = 1;
	md_map_set(in, &k, &v);
}

static void mm_set_0_3(void)
{
	long k = 3, v = 4;
	md_map_set(inner(0), &k, &v); /* m["a"]["x"] = "y" */
	send(F.ch, 1);
}

FCASE(RaceCaseIssue6418, RACE)
{
	mm_make();
	F.ch = mkchan(0);
	go0(mm_set_0_3);
	long k = 1;
	md_map_get(inner(0), &k, NULL); /* switch m["a"]["b"] {} */
	recv(F.ch);
}

static void mm_type_switch(void)
{
	long k = 1;
	struct iface i;
	md_map_get(inner(0), &k, &i); /* switch i := m[0][1].(type) */
	if (i.data)
		wr(i.data, rd(&F.x));
	send(F.c, 1);
}

FCASE(RaceCaseTypeIssue5890, RACE)
{
	MM = md_map_make(sizeof(long), sizeof(md_map_t *));
	md_map_t *in = md_map_make(sizeof(long), sizeof(struct iface));
	long k = 0;
	md_map_set(MM, &k, &in);
	F.c = mkchan(1);
	go0(mm_type_switch);
	k = 1;
	struct iface v = {&k, NULL}; /* m[0][1] = y: an int in an interface */
	rd(&F.y);
	md_map_set(inner(0), &k, &v);
	recv(F.c);
}

/* ---- interface values ------------------------------------------------------ */

static struct iface I, I2;
static char int_type, ptr_type; /* stand-ins for type descriptors */

static void type_switch_i(void)
{
	rdn(&I, sizeof I); /* switch i.(type) */
	send(F.c, 1);
}

FCASE(RaceCaseType, RACE)
{
	I = (struct iface){&int_type, NULL};
	F.c = mkchan(1);
	go0(type_switch_i);
	rd(&F.y);
	wrn(&I, sizeof I); /* i = y */
	recv(F.c);
}

static void type_switch_body(void)
{
	rdn(&I, sizeof I);
	if (I.tab == &ptr_type)
		wr(I.data, rd(&F.y)); /* *i = y */
	send(F.c, 1);
}

FCASE(RaceCaseTypeBody, RACE)
{
	I = (struct iface){&ptr_type, &F.x}; /* var i any = &x */
	F.c = mkchan(1);
	go0(type_switch_body);
	wr(&F.x, rd(&F.y));
	recv(F.c);
}

static void x_eq_42(void)
{
	wr(&F.x, 42);
	ch_true();
}

static void defer_arg_x(void)
{
	rd(&F.x); /* defer func(x int){}(x): evaluated at the defer */
}

FCASE(RaceDeferArg, RACE)
{
	F.c = mkchan(1);
	go0(x_eq_42);
	defer_arg_x();
	recv(F.c);
}

static void x_eq_y(void)
{
	wr(&F.x, 0); /* var y DeferT; x = y */
	ch_true();
}

FCASE(RaceDeferArg2, RACE)
{
	F.c = mkchan(1);
	go0(x_eq_y);
	rd(&F.x); /* defer x.Foo(): the value receiver, evaluated now */
	recv(F.c);
}

static void nothing1(long x)
{
	(void)x;
}

static void go_with_v(void)
{
	go1(nothing1, rd(&F.v)); /* go func(x any){}(v) */
	send(F.c, 1);
}

FCASE(RaceEfaceConv, RACE)
{
	F.c = mkchan(0);
	go0(go_with_v);
	wr(&F.v, 42);
	recv(F.c);
}

static void iface_nil(void)
{
	wrn(&I, sizeof I);
	I = (struct iface){0, 0};
	send(F.c, 1);
}

static void iface_point(void)
{
	void *pt = md_alloc(2 * sizeof(long)); /* &Point{} */
	wrn(&I, sizeof I);
	I = (struct iface){&ptr_type, pt};
	send(F.c, 1);
}

FCASE(RaceEmptyInterface1, RACE)
{
	F.c = mkchan(0);
	go0(iface_nil);
	rdn(&I, sizeof I);
	recv(F.c);
}

FCASE(RaceEmptyInterface2, RACE)
{
	F.c = mkchan(0);
	go0(iface_point);
	rdn(&I, sizeof I);
	recv(F.c);
}

FCASE(RaceError, RACE)
{
	F.c = mkchan(1);
	go0(iface_nil); /* err = nil */
	rdn(&I, sizeof I);
	recv(F.c);
}

static void y_eq_42(void)
{
	wr(&F.y, 42);
	ch_true();
}

FCASE(RaceFuncCall, RACE)
{
	F.c = mkchan(1);
	go0(y_eq_42);
	long x = rd(&F.x), y = rd(&F.y); /* f(x, y) */
	(void)x, (void)y;
	recv(F.c);
}

static void a_dummy1(void)
{
	wrn(&I, sizeof I); /* a = DummyWriter{1} */
	send(F.c, 1);
}

FCASE(RaceIfaceCmp, RACE)
{
	F.c = mkchan(1);
	wrn(&I, sizeof I);
	go0(a_dummy1);
	rdn(&I, sizeof I); /* a == b */
	rdn(&I2, sizeof I2);
	recv(F.c);
}

static void go_with_f(void)
{
	go1(nothing1, (long)(uintptr_t)rdp(&F.ptr)); /* go func(x IoReader){}(f) */
	send(F.c, 1);
}

FCASE(RaceIfaceConv, RACE)
{
	F.c = mkchan(0);
	F.ptr = md_alloc(16); /* f := &OsFile{} */
	go0(go_with_f);
	wrp(&F.ptr, md_alloc(16));
	recv(F.c);
}

FCASE(RaceIfaceWW, RACE)
{
	F.c = mkchan(1);
	go0(a_dummy1);
	wrn(&I, sizeof I); /* a = DummyWriter{2} */
	recv(F.c);
	rdn(&I, sizeof I); /* b = a; a = b */
	wrn(&I2, sizeof I2);
	rdn(&I2, sizeof I2);
	wrn(&I, sizeof I);
}

/* InterImpl{x, y int} with value-receiver Foo; var x Inter = p. */
static void iface_reassign(void)
{
	wrn(&I, sizeof I); /* x = p2 */
	ch_true();
}

FCASE(RaceInterCall, RACE)
{
	F.c = mkchan(1);
	go0(iface_reassign);
	rdn(&I, sizeof I); /* x.Foo(0) */
	recv(F.c);
}

static void z_eq_42(void)
{
	wr(&F.z, 42);
	ch_true();
}

FCASE(RaceInterCall2, RACE)
{
	F.c = mkchan(1);
	go0(z_eq_42);
	rd(&F.z); /* x.Foo(z) */
	recv(F.c);
}

FCASE(RaceMapInit, RACE)
{
	F.c = mkchan(1);
	go0(y_eq_42);
	md_map_t *x = md_map_make(sizeof(long), sizeof(long));
	long k = 0, v = 42;
	md_map_set(x, &k, &v);
	k = rd(&F.y); /* {0: 42, y: 42} */
	md_map_set(x, &k, &v);
	recv(F.c);
}

FCASE(RaceMapInit2, RACE)
{
	F.c = mkchan(1);
	go0(y_eq_42);
	md_map_t *x = md_map_make(sizeof(long), sizeof(long));
	long k = 0, v = 42;
	md_map_set(x, &k, &v);
	k = 42;
	v = rd(&F.y); /* {0: 42, 42: y} */
	md_map_set(x, &k, &v);
	recv(F.c);
}

static void i_eq_new(void)
{
	wrp(&F.ptr, md_alloc(2 * sizeof(long))); /* i = &InterImpl{} */
	ch_true();
}

FCASE(RaceMethodCall2, RACE)
{
	F.c = mkchan(1);
	F.ptr = md_alloc(2 * sizeof(long));
	go0(i_eq_new);
	struct X *i = rdp(&F.ptr);
	rdn(i, sizeof *i); /* i.Foo(0): value receiver *i */
	recv(F.c);
}

/* type Derived struct{ pad int; Base } or { pad int; *Base }; Base int,
 * Foo has a pointer receiver, Bar a value receiver. */
static struct {
	long pad;
	long *base; /* *Base */
} DP;
static struct {
	long pad;
	long base; /* Base */
} DV;

static void dp_foo(void)
{
	rdp((void **)&DP.base); /* d.Foo(): reads d.Base, the pointer */
	send(F.done, 1);
}

static void dv_bar(void)
{
	rd(&DV.base); /* d.Bar(): copies the Base value */
	send(F.done, 1);
}

static void dv_foo(void)
{
	/* d.Foo(): &d.Base, no read */
	send(F.done, 1);
}

static void dp_bar(void)
{
	long *b = rdp((void **)&DP.base);
	rd(b); /* d.Bar(): *d.Base */
	send(F.done, 1);
}

FCASE(RaceMethodThunk, RACE)
{
	F.done = mkchan(0);
	go0(dp_foo);
	wrn(&DP, sizeof DP); /* d = Derived{} */
	recv(F.done);
}

FCASE(RaceMethodThunk2, RACE)
{
	F.done = mkchan(0);
	go0(dv_bar);
	wrn(&DV, sizeof DV);
	recv(F.done);
}

FCASE(RaceMethodThunk3, RACE)
{
	F.done = mkchan(0);
	wrp((void **)&DP.base, md_alloc(sizeof(long)));
	go0(dp_bar);
	wrp((void **)&DP.base, md_alloc(sizeof(long)));
	recv(F.done);
}

FCASE(RaceMethodThunk4, RACE)
{
	F.done = mkchan(0);
	wrp((void **)&DP.base, md_alloc(sizeof(long)));
	go0(dp_bar);
	wr(rdp((void **)&DP.base), 42); /* *(*int)(d.Base) = 42 */
	recv(F.done);
}

FCASE(NoRaceMethodThunk, NORACE)
{
	F.done = mkchan(0);
	go0(dv_foo);
	wrn(&DV, sizeof DV);
	recv(F.done);
}

static struct X IV; /* i := InterImpl{} */

static void iv_reassign(void)
{
	wrn(&IV, sizeof IV);
	ch_true();
}

FCASE(RaceMethodValue, RACE)
{
	F.c = mkchan(1);
	go0(iv_reassign);
	rdn(&IV, sizeof IV); /* _ = i.Foo: binds a copy of i */
	recv(F.c);
}

FCASE(RaceMethodValue2, RACE)
{
	F.c = mkchan(1);
	go0(iface_reassign);
	rdn(&I, sizeof I); /* var i Inter; _ = i.Foo */
	recv(F.c);
}

static void star_i_reassign(void)
{
	wrn(rdp(&F.ptr), sizeof(struct X)); /* *i = InterImpl{} */
	ch_true();
}

FCASE(RaceMethodValue3, RACE)
{
	F.c = mkchan(1);
	F.ptr = md_alloc(sizeof(struct X));
	go0(star_i_reassign);
	rdn(rdp(&F.ptr), sizeof(struct X)); /* _ = i.Foo dereferences i */
	recv(F.c);
}

FCASE(NoRaceMethodValue, NORACE)
{
	F.c = mkchan(1);
	go0(iv_reassign);
	/* _ = i.Foo with a pointer receiver: takes &i, reads nothing */
	recv(F.c);
}

/* ---- slicing, strings, fmt ------------------------------------------------- */

static void s_reassign(void)
{
	wrn(&S, sizeof S); /* x = make([]int, 20) */
	ch_true();
}

FCASE(RaceSliceSlice, RACE)
{
	F.c = mkchan(1);
	go0(s_reassign);
	rdn(&S, sizeof S); /* _ = x[2:3] */
	recv(F.c);
}

static void i_eq_3(void)
{
	wr(&F.i, 3);
	ch_true();
}

FCASE(RaceSliceSlice2, RACE)
{
	F.c = mkchan(1);
	F.i = 2;
	go0(i_eq_3);
	rd(&F.i); /* _ = x[i:4] */
	recv(F.c);
}

static void str_world(void)
{
	wrn(&I, sizeof I); /* x = "world" */
	ch_true();
}

FCASE(RaceSliceString, RACE)
{
	F.c = mkchan(1);
	go0(str_world);
	rdn(&I, sizeof I); /* _ = x[2:3] */
	recv(F.c);
}

static void sprint_x(void)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", rd(&F.x)); /* fmt.Sprint(x) */
	ch_true();
}

FCASE(RaceSprint, RACE)
{
	F.c = mkchan(1);
	go0(sprint_x);
	wr(&F.x, 1);
	recv(F.c);
}

static void star_p_eq_a(void)
{
	wrn(rdp(&F.ptr), sizeof(struct iface)); /* *p = "a" */
	ch_true();
}

FCASE(RaceStringPtrRW, RACE)
{
	F.c = mkchan(1);
	F.ptr = &I; /* p := &x */
	go0(star_p_eq_a);
	rdn(rdp(&F.ptr), sizeof(struct iface)); /* _ = *p */
	recv(F.c);
}

static void i_eq_y(void)
{
	wrn(&I, sizeof I);
	ch_true();
}

FCASE(RaceTypeAssert, RACE)
{
	F.c = mkchan(1);
	go0(i_eq_y);
	rdn(&I, sizeof I); /* _ = i.(int) */
	recv(F.c);
}

static void p_eq_z(void)
{
	wrp(&F.ptr, &F.z);
	ch_true();
}

FCASE(RaceUnsafePtrRW, RACE)
{
	F.x = 1, F.y = 2, F.z = 3;
	F.ptr = &F.x;
	F.c = mkchan(1);
	go0(p_eq_z);
	wr(&F.y, rd(rdp(&F.ptr))); /* y = *(*int)(p) */
	wr(&F.x, rd(&F.y));
	recv(F.c);
}

/* ---- single-task instrumentation regressions ------------------------------
 * Go's compiler once instrumented these wrongly (spuriously, or
 * crashing); at run time one goroutine does everything, so a port can
 * only show that nothing is reported. */

FCASE(NoRaceRange, NORACE)
{
	md_chan_t *ch = mkchan(3);
	for (int k = 0; k < 3; k++) /* for _, v := range a */
		send(ch, rd(&F.arr[k]));
	md_chan_close(ch);
}

FCASE(NoRaceCase, NORACE)
{
	for (long x = -1; x <= 1; x++)
		wr(&F.y, x < 0 ? -1 : x == 0 ? 0 : 1);
	wr(&F.y, rd(&F.y) + 1);
}

FCASE(NoRaceEnoughRegisters, NORACE)
{
	double s = 3.1415;
	double S_ = 1 + s * (1 + s * (2 + s * (3 + s * (4 + s * (5 + s * (6 + s * (7 + s * 8)))))));
	wr(&F.f, (long)S_);
}

FCASE(NoRaceRangeIssue5446, NORACE)
{
	md_chan_t *ch = mkchan(3);
	long *a = md_alloc(3 * sizeof *a), *b = md_alloc(sizeof *b);
	wr(&b[0], 4);
	long i = 1;
	for (long k = 0; k < 1; k++) { /* for i, a[i] = range b */
		i = k;
		wr(&a[i], rd(&b[k]));
		send(ch, i);
	}
	md_chan_close(ch);
}

/* The tiny allocator packs small objects into one block; tasks writing
 * their own tiny objects must not race. N is 1e6 in Go; 1e4 here. */
static void tiny_loop(void)
{
	for (int i = 0; i < 10000; i++) {
		signed char *b = md_alloc(1);
		wr8(b, 42);
		md_free(b);
	}
	send(F.done, 1);
}

FCASE(NoRaceTinyAlloc, NORACE)
{
	F.done = mkchan(0);
	for (int p = 0; p < 4; p++)
		go0(tiny_loop);
	for (int p = 0; p < 4; p++)
		recv(F.done);
}

/* var a, b Point1M (2^20 Points, 16 MiB each) escape to the heap; a = b
 * copies all of it while the goroutine writes one field deep inside. */
#define NPOINT (1L << 20)

static long *NA;

static void nested_write(void)
{
	/* index 0b01010101010101010101 of 2^20, field y */
	wr(&NA[2 * 0x55555 + 1], 1);
	send(F.ch, 1);
}

FCASE(RaceNestedArrayCopy, RACE)
{
	F.ch = mkchan(1);
	NA = md_alloc(NPOINT * 2 * sizeof(long));
	long *nb = md_alloc(NPOINT * 2 * sizeof(long));
	go0(nested_write);
	rdn(nb, NPOINT * 2 * sizeof(long));
	wrn(NA, NPOINT * 2 * sizeof(long));
	recv(F.ch);
}

/* testRaceRead (issues 5567 and 51618): a task reads a file into one
 * 17-byte buffer and sends each chunk; the receiver hashes it while the
 * next read overwrites it. md_sys_read and md_sys_pread annotate the
 * buffer as written, as Go's syscall.Read and Pread do. */
static int race_read_pread;

static void reader(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	char *b = md_alloc(17);
	long off = 0;
	for (int chunk = 0; fd >= 0 && chunk < 64; chunk++) { /* Go: the whole file */
		long n = race_read_pread ? md_sys_pread(fd, b, 17, off) : md_sys_read(fd, b, 17);
		if (n <= 0)
			break;
		off += n;
		send(F.c, (long)(uintptr_t)b);
		send(F.c, n);
	}
	if (fd >= 0)
		close(fd);
	md_chan_close(F.c);
	send(F.done, fd >= 0 ? 0 : 1);
}

static void test_race_read(int pread)
{
	race_read_pread = pread;
	F.c = mkchan(0);
	F.done = mkchan(1);
	go0(reader);
	long b, n;
	/* h.Write(b): the annotation only; the bytes themselves are not
	 * hashed, so the C program has no data race of its own. */
	while (recv_ok(F.c, &b) && recv_ok(F.c, &n))
		rdn((void *)(uintptr_t)b, (size_t)n);
	if (recv(F.done))
		md_panic("testRaceRead: cannot open /proc/self/exe");
}

FCASE(RaceIssue5567, RACE)
{
	test_race_read(0);
}

FCASE(RaceIssue51618, RACE)
{
	test_race_read(1);
}

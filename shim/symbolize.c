/*
 * shim/symbolize.c - turning PCs and data addresses into names for
 * TSan's reports, for a backend whose runtime asks (Go mode has no
 * symbolizer of its own: it asks the runtime). The
 * runtime's hook (rw_options_t.symbolizer) answers first, for managed code
 * that only the runtime can name; then elfutils' libdwfl looks the address
 * up in the process's own modules and their DWARF, which gives function,
 * file and line for C code (dladdr alone would give no file:line).
 *
 * TSan calls this while printing a report, holding its report lock, and
 * copies the strings at once (internal_strdup), so pointers into libdw's
 * tables may be returned. libdwfl is not thread-safe; one lock guards it.
 */
#include "internal.h"

#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t dwfl_lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl;

/* Report the process's modules once, on first use: by the time TSan
 * prints a report every module that matters is loaded. */
static Dwfl *session(void)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	static int failed;
	if (dwfl || failed)
		return dwfl;
	Dwfl *d = dwfl_begin(&callbacks);
	if (d && dwfl_linux_proc_report(d, getpid()) == 0 && dwfl_report_end(d, NULL, NULL) == 0) {
		dwfl = d;
	} else {
		if (d)
			dwfl_end(d);
		failed = 1;
	}
	return dwfl;
}

int rw__symbolize_code(uintptr_t pc, rw_frame_t *f, uintptr_t *module_off)
{
	const rw_options_t *o = &rw__g.opts;
	if (o->symbolizer && o->symbolizer(pc, f, o->symbolizer_arg) && f->func)
		return 1;
	if (!o->symbolize)
		return 0;

	int found = 0;
	pthread_mutex_lock(&dwfl_lock);
	Dwfl *d = session();
	Dwfl_Module *mod = d ? dwfl_addrmodule(d, pc) : NULL;
	const char *name = mod ? dwfl_module_addrname(mod, pc) : NULL;
	if (name) {
		Dwarf_Addr base = 0;
		dwfl_module_info(mod, NULL, &base, NULL, NULL, NULL, NULL, NULL);
		Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
		int lineno = 0;
		const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
		f->func = name;
		f->file = file;
		f->line = lineno > 0 ? lineno : 0;
		*module_off = pc - base;
		found = 1;
	}
	pthread_mutex_unlock(&dwfl_lock);
	return found;
}

/* Globals only: a heap block's start is the runtime's knowledge, and TSan
 * needs the exact start to find the block's allocation stack. */
int rw__symbolize_data(uintptr_t addr, const char **name, uintptr_t *start, uintptr_t *size)
{
	if (!rw__g.opts.symbolize)
		return 0;
	int found = 0;
	pthread_mutex_lock(&dwfl_lock);
	Dwfl *d = session();
	Dwfl_Module *mod = d ? dwfl_addrmodule(d, addr) : NULL;
	GElf_Sym sym;
	GElf_Off offset = 0;
	const char *sname = mod ? dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL)
	                        : NULL;
	if (sname && GELF_ST_TYPE(sym.st_info) == STT_OBJECT && offset < sym.st_size) {
		*name = sname;
		*start = addr - offset;
		*size = sym.st_size;
		found = 1;
	}
	pthread_mutex_unlock(&dwfl_lock);
	return found;
}

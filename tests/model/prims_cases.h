/*
 * tests/model/prims_cases.h - what tests/model/progs/prims.c runs: its
 * correct modes, and its misuses with the message each must die with.
 * One list for the go backend's test (tests/model/test_prims.c) and the
 * fiber backend's (tests/fiber/test_model.c), so that a mode added to the
 * program is run on both.
 */
#ifndef TESTS_MODEL_PRIMS_CASES_H
#define TESTS_MODEL_PRIMS_CASES_H

static const char *const prims_modes[] = {"select", "zero", "rwmutex", "cond", "map", "pool", "sys"};

/* mode, then the text after "model: FATAL: " */
static const char *const prims_misuse[][2] = {
	{"bad_select_dir", "md_select: case 0: dir 7 is neither MD_SEND nor MD_RECV"},
	{"bad_select_none", "md_select: no channel to wait on: blocks forever"},
	{"bad_select_many", "md_select: 65 cases (at most 64)"},
	{"bad_unlock", "md_rwmutex_unlock of an unlocked md_rwmutex"},
	{"bad_runlock", "md_rwmutex_runlock of an unlocked md_rwmutex"},
};

#endif

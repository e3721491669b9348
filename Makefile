# racewire - one Makefile for the library, tools, tests and benchmarks.
#
#   make deps        install Debian packages, build compiler-rt's TSan runtime
#   make             library, tools, examples, tests, benchmarks (no running;
#                    never installs or downloads: needs `make deps` once)
#   make test        deps + build + run every test (README's test command)
#   make stress      deps + build + the main job (README's main command)
#   make demo        a race report and the guard stopping a misuse
#   make bench       print the benchmark figures
#   make install     headers, libraries, runtime objects, tools, man pages and
#                    pkg-config files under PREFIX (DESTDIR for staging)
#   make go          the guarded Go race runtime and racewire-go (go/)
#
# Variables:
#   BACKEND=go|none|fiber  the TSan runtime the library drives (default go:
#                        compiler-rt's Go-mode runtime; none: the guards
#                        alone, no TSan; fiber: clang's C/C++ TSan, tasks
#                        as TSan fibers). Each builds into its own O.
#   TSAN=release|debug   which Go-mode runtime executables link (default
#                        release; debug has TSan's internal CHECKs on)
#   TSAN_OBJ=path        link a runtime object of your own instead
#   O=dir                output folder (default build for go, build/none
#                        for none); e.g. O=build/clang
#   CC=gcc|clang         both must build our code with -Werror
#
# Every build output lands under $(O); build/tsan holds the fetched runtime
# (shared by every O, since it is the same object whatever compiles us).

BACKEND  ?= go
BACKENDS := go none fiber
ifeq ($(filter $(BACKEND),$(BACKENDS)),)
$(error BACKEND must be one of: $(BACKENDS); not '$(BACKEND)')
endif
O        ?= $(if $(filter go,$(BACKEND)),build,build/$(BACKEND))
TSAN     ?= release
TSAN_DIR ?= build/tsan

TSAN_RELEASE_OBJ := $(TSAN_DIR)/race_linux_amd64.syso
TSAN_DEBUG_OBJ   := $(TSAN_DIR)/race_debug_linux_amd64.syso
ifneq ($(filter none fiber,$(BACKEND)),)
# No Go-mode runtime: programs link the library alone (fiber: and clang's
# -fsanitize=thread runtime).
TSAN_OBJ :=
else ifeq ($(TSAN),release)
TSAN_OBJ ?= $(TSAN_RELEASE_OBJ)
else ifeq ($(TSAN),debug)
TSAN_OBJ ?= $(TSAN_DEBUG_OBJ)
else
$(error TSAN must be release or debug, not '$(TSAN)')
endif

CFLAGS   ?= -O2 -g
# Go-mode TSan shadows only [0x1000, 0xe000000000): no PIE anywhere.
# (fiber: C/C++ TSan shadows everything, and clang links PIE by default.)
RW_CFLAGS := -std=c11 -Wall -Wextra -Werror -fno-omit-frame-pointer \
             $(if $(filter fiber,$(BACKEND)),-fPIE,-fno-pie) -D_GNU_SOURCE -Iinclude -pthread -MMD -MP \
             $(if $(filter none,$(BACKEND)),-DRW_BACKEND_NONE) \
             $(if $(filter fiber,$(BACKEND)),-DRW_BACKEND_FIBER)
RW_LDFLAGS := -no-pie -pthread
RW_LIBS    := -ldw -lelf -lpthread
CRITERION  := -lcriterion

LIB := $(O)/lib/libracewire.a

# ---- Sources, by folder ----------------------------------------------------
LIB_SRCS        := $(wildcard shim/*.c backend/$(BACKEND)/*.c)
UNIT_TESTS      := $(wildcard tests/unit/test_*.c)
INTEG_TESTS     := $(wildcard tests/integration/test_*.c)
PROGS           := $(wildcard tests/progs/*.c)
RUNNER_SRCS     := $(wildcard stress/runner/*.c)
RUNNER_TESTS    := $(wildcard tests/runner/test_*.c)
RUNNER_HELPERS  := $(wildcard tests/runner/helpers/*.c)
DIAG_SRCS       := $(wildcard diagnose/*.c)
DIAG_TESTS      := $(wildcard tests/diagnose/test_*.c)
BENCH_SRCS      := $(wildcard bench/*.c)
MODEL_SRCS      := $(wildcard model/*.c model/*.S)
MODEL_TESTS     := $(wildcard tests/model/test_*.c)
MODEL_PROGS     := $(wildcard tests/model/progs/*.c)
MODEL_EXAMPLES  := $(wildcard model/examples/*.c)
MODEL_BENCH     := $(wildcard bench/model/*.c)
MISSRATE_SRCS   := $(wildcard bench/missrate/*.c)
REPRO_SRCS      := $(wildcard stress/repro/*.c)
FIDELITY_SRCS   := $(wildcard tests/fidelity/*.c)
EXAMPLE_SRCS    := $(wildcard examples/*.c)
EXAMPLE_CXX_SRCS := $(wildcard examples/*.cpp)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_OBJS := $(call obj,$(LIB_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_TESTS))
INTEG_BINS := $(patsubst tests/integration/%.c,$(O)/tests/integration/%,$(INTEG_TESTS))
PROG_BINS := $(patsubst tests/progs/%.c,$(O)/progs/release/%,$(PROGS))
PROG_DEBUG_BINS := $(patsubst tests/progs/%.c,$(O)/progs/debug/%,$(PROGS))
RUNNER_BIN := $(if $(RUNNER_SRCS),$(O)/bin/racewire-stress)
RUNNER_TEST_BINS := $(patsubst tests/runner/%.c,$(O)/tests/runner/%,$(RUNNER_TESTS))
RUNNER_HELPER_BINS := $(patsubst tests/runner/helpers/%.c,$(O)/tests/runner/helpers/%,$(RUNNER_HELPERS))
DIAG_BIN := $(if $(DIAG_SRCS),$(O)/bin/racewire-diagnose)
DIAG_TEST_BINS := $(patsubst tests/diagnose/%.c,$(O)/tests/diagnose/%,$(DIAG_TESTS))
BENCH_BINS := $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRCS))
EXAMPLE_CXX_BINS := $(patsubst examples/%.cpp,$(O)/examples/%,$(EXAMPLE_CXX_SRCS))
EXAMPLE_BINS := $(patsubst examples/%.c,$(O)/examples/%,$(EXAMPLE_SRCS)) $(EXAMPLE_CXX_BINS)

MODEL_LIB := $(if $(MODEL_SRCS),$(O)/lib/libmodel.a)
# The model without race detection: built by the none backend's build.
NONE_O := $(O)/none
NONE_LIBS := $(NONE_O)/lib/libmodel.a $(NONE_O)/lib/libracewire.a
MODEL_OBJS := $(patsubst %,$(O)/obj/%.o,$(basename $(MODEL_SRCS)))
MODEL_TEST_BINS := $(patsubst tests/model/%.c,$(O)/tests/model/%,$(MODEL_TESTS))
MODEL_PROG_BINS := $(patsubst tests/model/progs/%.c,$(O)/progs/release/model_%,$(MODEL_PROGS)) \
                   $(patsubst tests/model/progs/%.c,$(O)/progs/debug/model_%,$(MODEL_PROGS))
MODEL_EXAMPLE_BINS := $(patsubst model/examples/%.c,$(O)/model/examples/%,$(MODEL_EXAMPLES))
REPRO_BINS := $(patsubst stress/repro/%.c,$(O)/stress/release/%,$(REPRO_SRCS)) \
              $(patsubst stress/repro/%.c,$(O)/stress/debug/%,$(REPRO_SRCS))
FIDELITY_BINS := $(if $(FIDELITY_SRCS),$(O)/progs/release/fidelity $(O)/progs/debug/fidelity)
MODEL_BENCH_BINS := $(patsubst bench/model/%.c,$(O)/bench/model/%,$(MODEL_BENCH)) \
                    $(patsubst bench/model/%.c,$(O)/bench/model/%_norace,$(MODEL_BENCH))
MISSRATE_BINS := $(patsubst bench/missrate/%.c,$(O)/bench/missrate/%,$(MISSRATE_SRCS))

TEST_BINS := $(UNIT_BINS) $(INTEG_BINS) $(RUNNER_TEST_BINS) $(DIAG_TEST_BINS) $(MODEL_TEST_BINS)
TOOLS := $(RUNNER_BIN) $(DIAG_BIN)

# The none backend runs the suites that test guards, not race reports:
# the unit tests of every guarantee and the model runtime's scheduling,
# callbacks and panics. What needs TSan (reports, child programs against
# the runtimes, reproducers, the fidelity suite) is the go backend's.
NONE_TESTS := $(O)/tests/unit/test_wiring $(O)/tests/unit/test_transitions \
              $(O)/tests/unit/test_options \
              $(O)/tests/unit/test_heap_check $(O)/tests/unit/test_heap_map \
              $(O)/tests/unit/test_backend \
              $(O)/tests/model/test_sched $(O)/tests/model/test_callback \
              $(O)/tests/model/test_panic

# The fiber backend's programs (BACKEND=fiber): compiled and linked by
# clang with -fsanitize=thread, Debian's clang-19 and libclang-rt-19-dev.
FIBER_CC      ?= clang-19
FIBER_CXX     ?= clang++-19
FIBER_CFLAGS  := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=thread \
                 -fno-omit-frame-pointer -D_GNU_SOURCE -DRW_BACKEND_FIBER -Iinclude \
                 -pthread -MMD -MP
FIBER_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -g -O1 -fsanitize=thread \
                 -fno-omit-frame-pointer -D_GNU_SOURCE -DRW_BACKEND_FIBER -Iinclude \
                 -pthread -MMD -MP
FIBER_LDFLAGS := -fsanitize=thread -pthread
FIBER_TESTS   := $(wildcard tests/fiber/test_*.c)
FIBER_PROGS   := $(wildcard tests/fiber/progs/*.c)
FIBER_TEST_BINS := $(patsubst tests/fiber/%.c,$(O)/tests/fiber/%,$(FIBER_TESTS))
FIBER_PROG_BINS := $(patsubst tests/fiber/progs/%.c,$(O)/progs/fiber/%,$(FIBER_PROGS))
# Boost.Fiber (integrations/boost-fiber): the interposer object, and the
# work-stealing program with it, racy with it, and as packaged (baseline).
BF_DIR  := integrations/boost-fiber
BF_OBJ  := $(O)/obj/$(BF_DIR)/rw_boost_fiber.o
BF_LIBS := -lboost_fiber -lboost_context -ldl
BF_BINS := $(O)/progs/fiber/boost_work_stealing $(O)/progs/fiber/boost_work_stealing_racy \
           $(O)/progs/fiber/boost_work_stealing_baseline
# The model runtime on the fiber backend: its library uninstrumented (as
# for every backend), its test programs and the fidelity suite compiled
# with -fsanitize=thread, where the compiler emits the accesses.
FIBER_MODEL_BINS := $(patsubst tests/model/progs/%.c,$(O)/progs/fiber/model_%,$(MODEL_PROGS)) \
                    $(if $(FIDELITY_SRCS),$(O)/progs/fiber/fidelity)
FIBER_ALL := $(FIBER_TEST_BINS) $(FIBER_PROG_BINS) $(BF_BINS) $(FIBER_MODEL_BINS)

# Keep intermediate objects: deleting them forces needless rebuilds.
.SECONDARY:

.PHONY: all deps lib tools tests build-tests test stress demo bench fuzz clean distclean install \
	uninstall
ifeq ($(BACKEND),none)
all: lib tests $(EXAMPLE_BINS)
lib: $(LIB)
tests build-tests: $(NONE_TESTS)
else ifeq ($(BACKEND),fiber)
all: lib tests
lib: $(LIB)
tests build-tests: $(FIBER_ALL)
else
all: lib tools tests $(BENCH_BINS) $(EXAMPLE_BINS) $(MODEL_EXAMPLE_BINS) $(MODEL_BENCH_BINS) \
     $(MISSRATE_BINS)
lib: $(LIB)
tools: $(TOOLS)
tests build-tests: $(TEST_BINS) $(PROG_BINS) $(PROG_DEBUG_BINS) $(RUNNER_HELPER_BINS) $(TOOLS) \
	$(EXAMPLE_BINS) $(MODEL_PROG_BINS) $(MODEL_EXAMPLE_BINS) $(REPRO_BINS) $(FIDELITY_BINS)
endif

# ---- Set-up ------------------------------------------------------------------
# deps is idempotent and quiet when all is present; the README's commands run
# it first, in a sub-make, so nothing compiles before the packages exist.
deps:
	@bash ci/deps.sh
	@bash backend/go/get-tsan-runtime.sh $(TSAN_DIR)

# Plain `make` never touches the system (no apt, no download): only `make
# deps` and the commands that run it (test, stress, demo, bench) do.
$(TSAN_DIR)/VERSION:
	@echo "racewire: no TSan runtime in $(TSAN_DIR) (no $@)." >&2; \
	 echo "racewire: run 'make deps' once: it installs the Debian packages and builds" >&2; \
	 echo "racewire: compiler-rt's Go-mode runtime into $(TSAN_DIR) (needs root or sudo, network)." >&2; \
	 exit 1
$(TSAN_RELEASE_OBJ) $(TSAN_DEBUG_OBJ): | $(TSAN_DIR)/VERSION
	@test -s $@ || { echo "racewire: $@ is missing (see $(TSAN_DIR)/VERSION)"; exit 1; }

# ---- Library -----------------------------------------------------------------
$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RW_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

# A TSan program: our objects, the library, one runtime object.
link_tsan = $(CC) $(RW_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(1) $(2) $(RW_LIBS)

# ---- Tests -------------------------------------------------------------------
$(O)/tests/unit/%: $(O)/obj/tests/unit/%.o $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_OBJ),$(CRITERION))

$(O)/obj/tests/integration/%.o: RW_CFLAGS += -DRW_PROGS_DIR='"$(abspath $(O))/progs"' \
	-DRW_SOURCE_DIR='"$(CURDIR)"' -DRW_BUILD_DIR='"$(abspath $(O))"'
$(O)/tests/integration/%: $(O)/obj/tests/integration/%.o $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_OBJ),$(CRITERION))

# Child programs of the integration tests, linked against both runtimes.
$(O)/progs/release/%: $(O)/obj/tests/progs/%.o $(LIB) $(TSAN_RELEASE_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_RELEASE_OBJ))
$(O)/progs/debug/%: $(O)/obj/tests/progs/%.o $(LIB) $(TSAN_DEBUG_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_DEBUG_OBJ))

# ---- The model M:N runtime (model/) -------------------------------------------
# One source, built per backend: with BACKEND=go it drives TSan; its
# "norace" build is the none backend's (O/none/lib/libmodel.a with the none
# libracewire.a: every guard, no TSan), so benchmarks show what race
# detection costs, as Go's with and without -race.
MODEL_CFLAGS := -Imodel/include
$(O)/obj/model/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/obj/model/%.o: model/%.S
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RW_CFLAGS) -c -o $@ $<
$(O)/lib/libmodel.a: $(MODEL_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^
ifneq ($(BACKEND),none)
# The none backend's libraries, from its own build (a sub-make into
# O/none: the same sources, another configuration).
.PHONY: none-libs
none-libs:
	@$(MAKE) --no-print-directory BACKEND=none O=$(NONE_O) $(NONE_LIBS)
$(NONE_LIBS): none-libs
endif

# Programs on the model runtime: its library, then racewire's, then TSan.
link_model = $(CC) $(RW_LDFLAGS) -o $@ $(filter %.o,$^) $(MODEL_LIB) $(LIB) $(1) $(2) $(RW_LIBS)

$(O)/obj/tests/model/%.o: RW_CFLAGS += $(MODEL_CFLAGS) -DRW_PROGS_DIR='"$(abspath $(O))/progs"'
$(O)/tests/model/%: $(O)/obj/tests/model/%.o $(MODEL_LIB) $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_OBJ),$(CRITERION))
$(O)/obj/tests/model/progs/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/progs/release/model_%: $(O)/obj/tests/model/progs/%.o $(MODEL_LIB) $(LIB) $(TSAN_RELEASE_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_RELEASE_OBJ))
$(O)/progs/debug/model_%: $(O)/obj/tests/model/progs/%.o $(MODEL_LIB) $(LIB) $(TSAN_DEBUG_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_DEBUG_OBJ))
$(O)/obj/model/examples/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/model/examples/%: $(O)/obj/model/examples/%.o $(MODEL_LIB) $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_OBJ))
$(O)/obj/bench/model/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/bench/model/%: $(O)/obj/bench/model/%.o $(MODEL_LIB) $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_OBJ))
# bench/missrate: model programs with race detection only (run.sh).
$(O)/obj/bench/missrate/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/bench/missrate/%: $(O)/obj/bench/missrate/%.o $(MODEL_LIB) $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_OBJ))
$(O)/obj-norace/bench/model/%.o: bench/model/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RW_CFLAGS) $(MODEL_CFLAGS) -DRW_BACKEND_NONE -c -o $@ $<
$(O)/bench/model/%_norace: $(O)/obj-norace/bench/model/%.o $(NONE_LIBS)
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $< $(NONE_LIBS) $(RW_LIBS)

# ---- The race-detection fidelity suite: every tests/fidelity/*.c in one
# program per runtime; tests/model/test_fidelity.c runs each case.
$(O)/obj/tests/fidelity/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/progs/release/fidelity: $(call obj,$(FIDELITY_SRCS)) $(MODEL_LIB) $(LIB) $(TSAN_RELEASE_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_RELEASE_OBJ))
$(O)/progs/debug/fidelity: $(call obj,$(FIDELITY_SRCS)) $(MODEL_LIB) $(LIB) $(TSAN_DEBUG_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_DEBUG_OBJ))

# ---- Stress reproducers (stress/repro/): one per seed, both runtimes ---------
$(O)/obj/stress/repro/%.o: RW_CFLAGS += $(MODEL_CFLAGS)
$(O)/stress/release/%: $(O)/obj/stress/repro/%.o $(MODEL_LIB) $(LIB) $(TSAN_RELEASE_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_RELEASE_OBJ))
$(O)/stress/debug/%: $(O)/obj/stress/repro/%.o $(MODEL_LIB) $(LIB) $(TSAN_DEBUG_OBJ)
	@mkdir -p $(@D)
	$(call link_model,$(TSAN_DEBUG_OBJ))

# ---- Stress runner and diagnoser (plain C tools, no TSan) --------------------
$(O)/bin/racewire-stress: $(call obj,$(RUNNER_SRCS))
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^ -lm

$(O)/bin/racewire-diagnose: $(call obj,$(DIAG_SRCS))
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^

$(O)/obj/tests/runner/%.o: RW_CFLAGS += -DRW_BIN_DIR='"$(abspath $(O))/bin"' \
	-DRW_HELPERS_DIR='"$(abspath $(O))/tests/runner/helpers"' \
	-DRW_SOURCE_DIR='"$(abspath .)"'
$(O)/tests/runner/%: $(O)/obj/tests/runner/%.o
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^ $(CRITERION)
# The runner's and the diagnoser's tests run the built tools (test_man both).
$(RUNNER_TEST_BINS): | $(RUNNER_BIN) $(RUNNER_HELPER_BINS) $(DIAG_BIN)
$(DIAG_TEST_BINS): | $(DIAG_BIN)
$(O)/tests/runner/helpers/%: $(O)/obj/tests/runner/helpers/%.o
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^

$(O)/obj/tests/diagnose/%.o: RW_CFLAGS += -DRW_BIN_DIR='"$(abspath $(O))/bin"' \
	-DRW_CORPUS_DIR='"$(abspath tests/diagnose/corpus)"'
$(O)/tests/diagnose/%: $(O)/obj/tests/diagnose/%.o
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^ $(CRITERION)

# ---- Benchmarks and examples ---------------------------------------------------
$(O)/obj/bench/%.o: CFLAGS += -falign-loops=32 -falign-functions=64
$(O)/bench/%: $(O)/obj/bench/%.o $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_OBJ))

$(O)/examples/%: $(O)/obj/examples/%.o $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(call link_tsan,$(TSAN_OBJ))

# The C++ example: the public header must stay valid C++ (CXX=clang++ too).
RW_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -fno-omit-frame-pointer -fno-pie -Iinclude \
               -pthread -MMD -MP $(if $(filter none,$(BACKEND)),-DRW_BACKEND_NONE)
$(O)/obj/examples/%.o: examples/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CFLAGS) $(RW_CXXFLAGS) -c -o $@ $<
$(EXAMPLE_CXX_BINS): $(O)/examples/%: $(O)/obj/examples/%.o $(LIB) $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(RW_LDFLAGS) -o $@ $< $(LIB) $(TSAN_OBJ) $(RW_LIBS)

# ---- Go: racewire's guarded race runtime for `go build -race` (go/) ----------
# `make go` builds $(O)/go/race{,_debug}_linux_amd64.syso (go/build.sh: the
# guard in front of TSan's Go-mode object, with the pair, ABI and linker
# checks) and installs $(O)/bin/racewire-go. The Go tests (tests/go/) and
# Go reproducers join build-tests and stress here, so other sections need
# no Go knowledge. GO_ROOT: the Go to guard (Debian's golang-1.19-go).
# The go backend's build only: the guard wraps the Go-mode runtime.
ifeq ($(BACKEND),go)
GO_ROOT      ?= /usr/lib/go-1.19
GO_OBJ       := $(O)/go/race_linux_amd64.syso
GO_TOOL      := $(O)/bin/racewire-go
GO_TESTS     := $(wildcard tests/go/test_*.c)
GO_TEST_BINS := $(patsubst tests/go/%.c,$(O)/tests/go/%,$(GO_TESTS))

.PHONY: go go-build
go:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory go-build
go-build: $(GO_OBJ) $(GO_TOOL)

$(GO_OBJ): go/guard.c go/build.sh go/pairs.tsv include/racewire/flight.h \
           $(TSAN_RELEASE_OBJ) $(TSAN_DEBUG_OBJ)
	@bash go/build.sh $(O)/go $(TSAN_DIR) $(GO_ROOT) $(CC)

$(GO_TOOL): go/racewire-go
	@mkdir -p $(@D)
	sed -e 's|@RW_SRC@|$(abspath .)|' -e 's|@RW_OUT@|$(abspath $(O))|' $< >$@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

$(O)/obj/tests/go/%.o: RW_CFLAGS += -DRW_BIN_DIR='"$(abspath $(O))/bin"' \
	-DRW_SRC_DIR='"$(abspath .)"' -DRW_OUT_DIR='"$(abspath $(O))"'
$(O)/tests/go/%: $(O)/obj/tests/go/%.o
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $^ $(CRITERION)
$(GO_TEST_BINS): | $(GO_OBJ) $(GO_TOOL) $(DIAG_BIN)
build-tests: $(GO_TEST_BINS) $(GO_OBJ) $(GO_TOOL)

# Go reproducers for make stress (rows in stress/reproducers.tsv): Go's
# test27660 built by racewire-go in a GOROOT copy with a seed 001 patch, one
# program per patch. The rows run them with racewire's defaults (guarded:
# policy=abort, so every run is stopped and the misuse named) and with
# guards=0 (unguarded).
# The shared-processor patch runs go/repro/procchurn.go instead, a program
# that keeps TSan using its Processor on two Ps at once.
GO_STRESS_PATCHES := seed001-acquire-in-window seed001-release-in-window seed001-retaken-p
GO_STRESS := $(addprefix $(O)/go/repro/,$(GO_STRESS_PATCHES) shared-processor)
$(O)/go/repro/%: go/repro/test27660.go go/patches/%.patch $(GO_OBJ) $(GO_TOOL)
	@mkdir -p $(@D)
	$(GO_TOOL) --patch=$* build -race -o $@ $<
$(O)/go/repro/shared-processor: go/repro/procchurn.go go/patches/shared-processor.patch $(GO_OBJ) $(GO_TOOL)
	@mkdir -p $(@D)
	$(GO_TOOL) --patch=shared-processor build -race -o $@ $<
.PHONY: go-stress
go-stress:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(GO_STRESS)
stress: go-stress
endif

# ---- The fiber backend (BACKEND=fiber, O=build/fiber) ------------------------
# Programs on it are compiled and linked by clang with -fsanitize=thread
# (Debian's clang-19 and libclang-rt-19-dev): the compiler instruments their
# accesses and links C/C++ TSan. The library itself (above) is compiled as
# for every backend, uninstrumented, -fPIE. Their objects go to obj-tsan.
# (FIBER_CC and the flags are defined with the sources, above.)

$(O)/obj-tsan/%.o: %.c
	@mkdir -p $(@D)
	$(FIBER_CC) $(FIBER_CFLAGS) -c -o $@ $<
$(O)/obj-tsan/%.o: %.cpp
	@mkdir -p $(@D)
	$(FIBER_CXX) $(FIBER_CXXFLAGS) -c -o $@ $<
# The Criterion programs are not instrumented (Criterion's runner does not
# survive TSan); they run the instrumented child programs of progs/fiber.
$(O)/obj/tests/fiber/%.o: RW_CFLAGS += -DRW_PROGS_DIR='"$(abspath $(O))/progs"'
$(O)/tests/fiber/%: $(O)/obj/tests/fiber/%.o | $(FIBER_PROG_BINS) $(BF_BINS) $(FIBER_MODEL_BINS)
	@mkdir -p $(@D)
	$(CC) $(RW_LDFLAGS) -o $@ $< $(CRITERION)
$(O)/progs/fiber/%: $(O)/obj-tsan/tests/fiber/progs/%.o $(LIB)
	@mkdir -p $(@D)
	$(FIBER_CC) $(FIBER_LDFLAGS) -o $@ $< $(LIB) $(RW_LIBS)
# The model runtime on this backend. Its library stays uninstrumented, and
# more: TSan must not see it at all, as Go-mode TSan never sees Go's
# runtime. Linked statically, its calls to functions TSan intercepts
# (memcpy into a parked task's stack, a pthread mutex taken on a task's
# fiber and released on the scheduler's) would count as the tasks' own
# accesses and synchronization: false reports, hidden races. So the model
# and racewire are one shared object, libmodel-fiber.so (PIC objects in
# obj-pic), which model/fiber/tsan_hooks.c names to TSan as a library
# whose intercepted calls are ignored (called_from_lib): only the calls
# it makes to TSan's interface (the annotations, the fiber switches)
# count. The programs are non-PIE, so that their globals lie where the
# model annotates (md__app_mem: Go mode's application range).
FIBER_MODEL_SO := $(O)/lib/libmodel-fiber.so
FIBER_MODEL_PIC := $(patsubst %,$(O)/obj-pic/%.o,$(basename $(MODEL_SRCS) $(LIB_SRCS)))
FIBER_MODEL_CFLAGS := $(MODEL_CFLAGS) -fno-pie
$(O)/obj-pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(filter-out -fPIE,$(RW_CFLAGS)) $(MODEL_CFLAGS) -fPIC -c -o $@ $<
$(O)/obj-pic/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(filter-out -fPIE,$(RW_CFLAGS)) $(MODEL_CFLAGS) -fPIC -c -o $@ $<
$(FIBER_MODEL_SO): $(FIBER_MODEL_PIC)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $^ $(RW_LIBS)
$(O)/obj-tsan/tests/model/progs/%.o: FIBER_CFLAGS += $(FIBER_MODEL_CFLAGS)
$(O)/obj-tsan/tests/fidelity/%.o: FIBER_CFLAGS += $(FIBER_MODEL_CFLAGS)
$(O)/obj-tsan/model/fiber/%.o: FIBER_CFLAGS += $(FIBER_MODEL_CFLAGS)
link_fiber_model = $(FIBER_CC) $(FIBER_LDFLAGS) -no-pie -o $@ $(filter %.o,$^) \
                   $(FIBER_MODEL_SO) -Wl,-rpath,$(abspath $(O))/lib
$(O)/progs/fiber/model_%: $(O)/obj-tsan/tests/model/progs/%.o $(O)/obj-tsan/model/fiber/tsan_hooks.o \
                          $(FIBER_MODEL_SO)
	@mkdir -p $(@D)
	$(link_fiber_model)
$(O)/progs/fiber/fidelity: $(patsubst %.c,$(O)/obj-tsan/%.o,$(FIDELITY_SRCS)) \
                           $(O)/obj-tsan/model/fiber/tsan_hooks.o $(FIBER_MODEL_SO)
	@mkdir -p $(@D)
	$(link_fiber_model)
# The interposer is C, uninstrumented like the library; C++ exceptions
# (Boost.Context's forced unwinding) pass through its frames.
$(BF_OBJ): RW_CFLAGS += -fexceptions
BF_CXX = $(FIBER_CXX) $(filter-out -MMD -MP,$(FIBER_CXXFLAGS)) $(FIBER_LDFLAGS)
$(O)/progs/fiber/boost_work_stealing: $(BF_DIR)/work_stealing.cpp $(BF_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(BF_CXX) -o $@ $< $(BF_OBJ) $(LIB) $(BF_LIBS) $(RW_LIBS)
$(O)/progs/fiber/boost_work_stealing_racy: $(BF_DIR)/work_stealing.cpp $(BF_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(BF_CXX) -DRACY -o $@ $< $(BF_OBJ) $(LIB) $(BF_LIBS) $(RW_LIBS)
$(O)/progs/fiber/boost_work_stealing_baseline: $(BF_DIR)/work_stealing.cpp
	@mkdir -p $(@D)
	$(BF_CXX) -o $@ $< -lboost_fiber -lboost_context
# ---- end of the fiber backend ------------------------------------------------

# ---- What people run -------------------------------------------------------------
test:
	@$(MAKE) --no-print-directory deps
	@echo "racewire: building (CC=$(CC), TSAN=$(TSAN), O=$(O))"
	@$(MAKE) --no-print-directory build-tests
	@echo "racewire: building the none backend (BACKEND=none, O=$(O)/none)"
	@$(MAKE) --no-print-directory BACKEND=none O=$(O)/none build-tests
	@echo "racewire: building the fiber backend (BACKEND=fiber, O=$(O)/fiber)"
	@$(MAKE) --no-print-directory BACKEND=fiber O=$(O)/fiber build-tests
	@bash tests/run.sh $(O) $(O)/none $(O)/fiber

# The main job: every reproducer, guarded and unguarded, and one table.
# STRESS_WINDOWS=hazard windows per guarded job (default 100000),
# STRESS_BUDGET=its cap in seconds (default 60), STRESS_UNGUARDED=runs.
stress:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(TOOLS) $(REPRO_BINS) $(PROG_BINS) $(PROG_DEBUG_BINS)
	@$(MAKE) --no-print-directory BACKEND=fiber O=$(O)/fiber build-tests
	@bash stress/main.sh $(O)

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(PROG_BINS) $(EXAMPLE_BINS)
	@bash examples/demo.sh $(O)

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BENCH_BINS) $(MODEL_BENCH_BINS)
	@bash bench/run.sh $(O)
	@bash bench/model/run.sh $(O)
	@$(MAKE) --no-print-directory go-build && bash bench/go/run.sh $(O)
	@bash bench/transitions/run.sh $(O)

# Fuzz the diagnoser's log parser (clang, libFuzzer + ASan + UBSan) for
# FUZZ_TIME seconds. Not part of `make test`: it is bounded, but long.
FUZZ_TIME ?= 60
fuzz:
	@bash tests/diagnose/fuzz.sh -t $(FUZZ_TIME) -o $(abspath $(O))/fuzz

# ---- Install ---------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: headers, one library per
# backend (libracewire.a is go's, libracewire-none.a none's), the Go-mode
# runtime objects under lib/racewire/, the tools, the man pages, and a
# pkg-config file per backend (racewire.pc is racewire-go.pc) carrying
# every flag a link needs: cc $(pkg-config --cflags --libs racewire) prog.c
PREFIX     ?= /usr/local
RW_VERSION := 0.2.0
I_INC := $(DESTDIR)$(PREFIX)/include
I_LIB := $(DESTDIR)$(PREFIX)/lib
I_BIN := $(DESTDIR)$(PREFIX)/bin
I_MAN := $(DESTDIR)$(PREFIX)/share/man
I_PC  := $(I_LIB)/pkgconfig
I_SHARE := $(DESTDIR)$(PREFIX)/share/racewire
MAN_PAGES := $(wildcard man/*.[137])
INSTALL_BINS = $(TOOLS)
PC_FILES := racewire.pc racewire-go.pc racewire-go-debug.pc racewire-none.pc racewire-fiber.pc

# $(call pc_file,backend,library,runtime object or empty,extra cflags,description[,ldflags])
pc_file = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@BACKEND@|$(1)|g' -e 's|@LIBNAME@|$(2)|' \
	-e 's|@RUNTIME@|$(if $(3), $${libdir}/racewire/$(3))|' -e 's|@CFLAGS@|$(4)|' \
	-e 's|@DESCRIPTION@|$(5)|' -e 's|@VERSION@|$(RW_VERSION)|' \
	-e 's|@LDFLAGS@|$(if $(6),$(6),-no-pie)|' pkgconfig/racewire.pc.in

install: lib tools
ifneq ($(BACKEND),go)
	$(error make install builds and installs every backend; run it without BACKEND=)
endif
	@$(MAKE) --no-print-directory BACKEND=none O=$(O)/none lib
	@echo "racewire: installing into $(DESTDIR)$(PREFIX)"
	install -d $(I_INC)/racewire $(I_LIB)/racewire $(I_BIN) $(I_PC) \
		$(I_MAN)/man1 $(I_MAN)/man3 $(I_MAN)/man7
	install -m 644 include/racewire.h $(I_INC)/
	install -m 644 include/racewire/*.h $(I_INC)/racewire/
	install -m 644 $(LIB) $(I_LIB)/libracewire.a
	install -m 644 $(O)/none/lib/libracewire.a $(I_LIB)/libracewire-none.a
	install -m 644 $(TSAN_RELEASE_OBJ) $(I_LIB)/racewire/
	if [ -s $(TSAN_DEBUG_OBJ) ]; then install -m 644 $(TSAN_DEBUG_OBJ) $(I_LIB)/racewire/; fi
	install -m 755 $(INSTALL_BINS) $(I_BIN)/
	for m in $(MAN_PAGES); do install -m 644 $$m $(I_MAN)/man$${m##*.}/; done
	$(call pc_file,go,libracewire.a,race_linux_amd64.syso,,racewire guards in front of the Go-mode TSan runtime of compiler-rt) > $(I_PC)/racewire-go.pc
	$(call pc_file,go,libracewire.a,race_linux_amd64.syso,,racewire guards in front of the Go-mode TSan runtime of compiler-rt) > $(I_PC)/racewire.pc
	$(call pc_file,go-debug,libracewire.a,race_debug_linux_amd64.syso,,racewire with the debug Go-mode TSan runtime (internal CHECKs on)) > $(I_PC)/racewire-go-debug.pc
	$(call pc_file,none,libracewire-none.a,, -DRW_BACKEND_NONE,racewire guards without TSan (non-race builds)) > $(I_PC)/racewire-none.pc
	@if [ -x /usr/bin/clang-19 ]; then \
		$(MAKE) --no-print-directory BACKEND=fiber O=$(O)/fiber lib && \
		install -m 644 $(O)/fiber/lib/libracewire.a $(I_LIB)/libracewire-fiber.a && \
		$(call pc_file,fiber,libracewire-fiber.a,, -DRW_BACKEND_FIBER -fsanitize=thread,racewire guards for C/C++ runtimes on TSan fibers (clang -fsanitize=thread),-fsanitize=thread) > $(I_PC)/racewire-fiber.pc && \
		echo "racewire: installed the fiber backend (libracewire-fiber.a, racewire-fiber.pc)"; \
	else \
		echo "racewire: no clang-19: the fiber backend not installed"; \
	fi
	@if [ -x $(GO_ROOT)/bin/go ]; then \
		$(MAKE) --no-print-directory go-build && \
		install -d $(I_LIB)/racewire/go $(I_SHARE)/go/patches && \
		install -m 644 $(O)/go/race_linux_amd64.syso $(O)/go/race_debug_linux_amd64.syso \
			$(I_LIB)/racewire/go/ && \
		install -m 644 go/patches/*.patch $(I_SHARE)/go/patches/ && \
		sed -e 's|@RW_OBJ@|$(PREFIX)/lib/racewire/go|' -e 's|@RW_STOCK@|$(PREFIX)/lib/racewire|' \
		    -e 's|@RW_PATCHES@|$(PREFIX)/share/racewire/go/patches|' \
		    -e 's|@RW_WORK@|$${XDG_CACHE_HOME:-$$HOME/.cache}/racewire-go|' \
		    go/racewire-go > $(I_BIN)/racewire-go && chmod 755 $(I_BIN)/racewire-go && \
		echo "racewire: installed racewire-go and the guarded Go race runtime"; \
	else \
		echo "racewire: no Go at $(GO_ROOT) (golang-1.19-go): racewire-go not installed"; \
	fi

uninstall:
	rm -f $(I_INC)/racewire.h $(addprefix $(I_INC)/racewire/,$(notdir $(wildcard include/racewire/*.h)))
	rm -f $(I_LIB)/libracewire.a $(I_LIB)/libracewire-none.a $(I_LIB)/libracewire-fiber.a \
		$(I_LIB)/racewire/race_linux_amd64.syso $(I_LIB)/racewire/race_debug_linux_amd64.syso
	rm -f $(addprefix $(I_BIN)/,$(notdir $(INSTALL_BINS))) $(addprefix $(I_PC)/,$(PC_FILES))
	for m in $(MAN_PAGES); do rm -f $(I_MAN)/man$${m##*.}/$${m##*/}; done
	rm -f $(I_BIN)/racewire-go $(I_LIB)/racewire/go/race_linux_amd64.syso \
		$(I_LIB)/racewire/go/race_debug_linux_amd64.syso \
		$(addprefix $(I_SHARE)/go/patches/,$(notdir $(wildcard go/patches/*.patch)))
	-rmdir $(I_SHARE)/go/patches $(I_SHARE)/go $(I_SHARE) $(I_LIB)/racewire/go 2>/dev/null
	-rmdir $(I_INC)/racewire $(I_LIB)/racewire 2>/dev/null

# Build products only. The stress runs' logs (O/stress/<reproducer>/, and
# build/stress-long/) are evidence a user may still need: clean keeps them,
# and build/tsan; distclean removes everything.
clean:
	rm -rf $(O)/obj $(O)/obj-norace $(O)/lib $(O)/bin $(O)/tests $(O)/progs $(O)/bench \
		$(O)/examples $(O)/model $(O)/stress/release $(O)/stress/debug \
		$(O)/none $(O)/fiber $(O)/obj-tsan $(O)/obj-pic

distclean:
	rm -rf build

-include $(shell find $(O)/obj $(O)/obj-norace $(O)/obj-tsan $(O)/obj-pic -name '*.d' 2>/dev/null)

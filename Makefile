# Stagebox - build, run, test, bench.
#   make        build what runs on the box into build/ (engine, server, renderer)
#   make test-bins  also the test binaries (unit tests, RT guard, JACK test clients)
#   make run    install missing packages, start JACK (if needed), engine, server
#   make test   install what the tests need, build, run every test
#   make bench  print the benchmark tables (never part of make test)
#   make fuzz   fuzz the patch compiler, FUZZ_SECONDS (600) per target

CC      ?= cc
PKGS     = jack libmicrohttpd libwebsockets jansson sndfile
CFLAGS  ?= -O2 -g
CFLAGS  += -I. -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   = -lrt -lm

# Quiet unless V=1: one line per file instead of the whole command.
ifeq ($(V),1)
Q =
else
Q = @
endif

B        = build
O        = $(B)/obj

# One wildcard per folder; includes are written from the repository root.
# The arena contract and the config: both binaries link them.
COMMON_SRC = $(wildcard rt/common/*.c)
# Pure, JACK-free DSP the engine, the server (module docs, state init) and
# the offline renderer share: plan executor, module table, modules, time.
DSP_SRC    = $(wildcard rt/dsp/*.c)
# The patch language and compiler: server code the renderer links too.
PATCH_SRC  = $(filter-out server/patch/cmd_patch.c server/patch/patch.c \
		server/patch/watch.c,$(wildcard server/patch/*.c))
RT_SRC     = $(wildcard rt/*.c rt/core/*.c rt/looper/*.c rt/patch/*.c)
SERVER_SRC = $(wildcard server/*.c server/cmd/*.c server/core/*.c \
		server/front/*.c server/audio/*.c server/looper/*.c \
		server/patch/*.c)
RENDER_SRC = tools/render.c
CLIENT_SRC = $(wildcard tests/clients/sb-*.c)
UNIT_SRC   = $(wildcard tests/unit/test_*.c)

COMMON_OBJ = $(COMMON_SRC:%.c=$(O)/%.o)
DSP_OBJ    = $(DSP_SRC:%.c=$(O)/%.o)
PATCH_OBJ  = $(PATCH_SRC:%.c=$(O)/%.o)
RENDER_OBJ = $(RENDER_SRC:%.c=$(O)/%.o)
RT_OBJ     = $(RT_SRC:%.c=$(O)/%.o)
SERVER_OBJ = $(SERVER_SRC:%.c=$(O)/%.o)
CLIENTS    = $(CLIENT_SRC:tests/clients/%.c=$(B)/%)
UNITS      = $(UNIT_SRC:tests/unit/%.c=$(B)/%)
# Unit tests link the pure parts: arena, config, command schema, the front
# door's rules, and the JACK-free DSP/time code they test.
UNIT_PURE  = server/cmd/cmd_schema.c server/audio/resample.c \
	     server/core/worker.c \
	     $(wildcard rt/looper/*.c) rt/core/safety.c rt/core/meter.c \
	     server/front/auth.c server/front/door.c server/front/hosts.c \
	     server/front/scrub.c
UNIT_DEPS  = $(COMMON_OBJ) $(UNIT_PURE:%.c=$(O)/%.o) $(DSP_OBJ) $(PATCH_OBJ)

# What runs on the box: `make` and `make run` build only these.
BINS = $(B)/stagebox-rt $(B)/stagebox-server $(B)/stagebox-render
# What only the tests need (cmocka, the RT guard, JACK test clients).
TEST_BINS = $(B)/librtguard.so $(CLIENTS) $(UNITS)

.PHONY: all test-bins run test bench unit deps deps-test clean fuzzers fuzz
all: $(BINS)
test-bins: $(BINS) $(TEST_BINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/stagebox-rt: $(RT_OBJ) $(COMMON_OBJ) $(DSP_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/stagebox-server: $(SERVER_OBJ) $(COMMON_OBJ) $(DSP_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(sort $^) $(PKG_LIBS) $(LDLIBS)

$(B)/stagebox-render: $(RENDER_OBJ) $(PATCH_OBJ) $(DSP_OBJ) $(COMMON_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(sort $^) $(PKG_LIBS) $(LDLIBS)

$(B)/sb-%: $(O)/tests/clients/sb-%.o $(O)/tests/clients/common.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/librtguard.so: tests/rtguard/rtguard.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl -pthread

$(B)/test_%: $(O)/tests/unit/test_%.o $(UNIT_DEPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka $(LDLIBS)

deps:
	bash deploy/install.sh

deps-test:
	bash deploy/install.sh --test

unit: $(UNITS) $(B)/librtguard.so
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t; done

run: deps
	$(MAKE) all
	bash deploy/run.sh

test: deps-test
	$(MAKE) test-bins fuzzers
	bash tests/run.sh

bench: deps-test
	$(MAKE) test-bins
	bash tests/bench/run.sh

# libFuzzer targets over the patch compiler (tests/fuzz/fuzz_*.c) with
# AddressSanitizer, LeakSanitizer and UBSan, built by clang into
# build/fuzz/.  Only `make test` and `make fuzz` build them, so `make` and
# `make run` need no clang.  tests/fuzz/run.sh does the fuzzing and the
# corpus upkeep; tests/run.sh replays the kept corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FZ           = $(B)/fuzz
FUZZ_CFLAGS  = -I. -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	       -g -O1 -fno-omit-frame-pointer \
	       -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS      = $(FUZZ_SRC:tests/fuzz/%.c=$(FZ)/%)
FUZZ_LIB_OBJ = $(PATCH_SRC:%.c=$(FZ)/obj/%.o) $(DSP_SRC:%.c=$(FZ)/obj/%.o)
FUZZ_LIBS    = $(shell pkg-config --libs jansson 2>/dev/null) -lm

fuzzers: $(FUZZERS)

# Keep the objects: they come from a pattern chain make would delete.
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_SRC:%.c=$(FZ)/obj/%.o)

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/fuzz_%: $(FZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

fuzz: deps-test
	$(MAKE) fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZERS)

clean:
	rm -rf $(B)

-include $(shell find $(O) $(FZ)/obj -name '*.d' 2>/dev/null)

# Stagebox - build, run, test, bench.
#   make        build everything into build/
#   make run    install missing packages, start JACK (if needed), engine, server
#   make test   install what the tests need, build, run every test
#   make bench  print the benchmark tables (never part of make test)

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
# Unit tests link the pure parts: arena, config, command schema, and the
# JACK-free DSP/time code they test.
UNIT_PURE  = server/cmd/cmd_schema.c server/audio/resample.c \
	     server/core/worker.c $(wildcard rt/looper/*.c)
UNIT_DEPS  = $(COMMON_OBJ) $(UNIT_PURE:%.c=$(O)/%.o) $(DSP_OBJ) $(PATCH_OBJ)

BINS = $(B)/stagebox-rt $(B)/stagebox-server $(B)/librtguard.so $(CLIENTS) \
       $(B)/stagebox-render

.PHONY: all run test bench unit deps deps-test clean
all: $(BINS) $(UNITS)

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

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t; done

run: deps
	$(MAKE) all
	bash deploy/run.sh

test: deps-test
	$(MAKE) all
	bash tests/run.sh

bench: deps-test
	$(MAKE) all
	bash tests/bench/run.sh

clean:
	rm -rf $(B)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

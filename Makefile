# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtcp: one flat Makefile. Outputs go to build/; `make V=1` shows commands.

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH_INC := /usr/include/$(shell $(CLANG) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
B        := build

# CFLAGS is yours (make CFLAGS=-O0); the flags the build needs are XCFLAGS
CFLAGS   ?= -O2 -g
XCFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Iinclude -I$(B)
# TRACE=1: every connection's state changes (A => B) on stderr
ifeq ($(TRACE),1)
XCFLAGS  += -DXTCP_TRACE
endif
# the unit layer runs a second time under AddressSanitizer and UBSan (clang)
SAN      := $(B)/san
# the libFuzzer target: the engine with coverage, ASan and UBSan (clang)
FUZZ     := $(B)/fuzz
FUZZ_TIME ?= 60
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer \
	      -fsanitize=address,undefined -fno-sanitize-recover=all
LDLIBS   := -lxdp -lbpf -lelf -lz -lpthread -lm
BPF_CFLAGS := -O2 -g -target bpf -Wall -Wextra -Werror -Wno-unused-parameter \
	      -Iinclude -Ibpf -I$(ARCH_INC)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

BPF_OBJS := $(patsubst bpf/%.c,$(B)/bpf/%.o,$(wildcard bpf/*.bpf.c))
SKELS    := $(patsubst bpf/%.bpf.c,$(B)/%.skel.h,$(wildcard bpf/*.bpf.c))
# the engine core and the apps: no I/O, no BPF; the unit tests link them too
CORE_SRCS := $(wildcard user/tcp/*.c) $(wildcard user/apps/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
CORE_HDRS := $(wildcard include/xtcp/*.h) $(wildcard user/tcp/*.h) $(wildcard user/apps/*.h)
# the data path (loader, AF_XDP, queue loop, control socket) and the CLI on top
XTCP_SRCS := $(wildcard user/*.c) $(wildcard user/cli/*.c)
XTCP_OBJS := $(XTCP_SRCS:%.c=$(B)/%.o) $(CORE_OBJS)
HDRS := $(CORE_HDRS) $(wildcard bpf/*.h) $(wildcard user/*.h) $(wildcard user/cli/*.h)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/test_*.c))
SAN_TESTS  := $(patsubst tests/unit/%.c,$(SAN)/tests/unit/%,$(wildcard tests/unit/test_*.c))
SAN_OBJS   := $(CORE_SRCS:%.c=$(SAN)/%.o) $(SAN)/tests/lib/frames.o $(SAN)/tests/lib/simnet.o \
	      $(SAN)/tests/lib/evq.o $(SAN)/tests/lib/bare.o $(SAN)/tests/lib/capture.o \
	      $(SAN)/tests/lib/gso_cut.o
BPF_TESTS  := $(patsubst tests/bpf/%.c,$(B)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
TEST_LIB   := $(B)/tests/lib/frames.o
# the simulated network: engines and a link, for the unit layer
SIM_LIB    := $(B)/tests/lib/simnet.o $(B)/tests/lib/evq.o $(B)/tests/lib/bare.o \
	      $(B)/tests/lib/capture.o $(B)/tests/lib/gso_cut.o
# with an AF_XDP socket: for programs that link libxdp
XSK_LIB    := $(TEST_LIB) $(B)/tests/lib/xsk_lo.o
# the benchmark's tools: flood generator, XDP cost, kernel server, clients
BENCH_TOOLS := $(patsubst bench/%.c,$(B)/xtcp-%,$(wildcard bench/*.c))
# the test harness's tools: the impairment bridge
TEST_TOOLS := $(patsubst tests/tools/%.c,$(B)/xtcp-%,$(wildcard tests/tools/*.c))
# what they use of xtcp's own code, as an archive: only what they call
USER_LIB   := $(B)/libxtcp.a
# the library that make install ships: the engine, its driver, the apps and
# xtcp_serve (user/xtcp.h), static and shared (position-independent objects)
LIB_SRCS   := $(filter-out user/cli/main.c,$(XTCP_SRCS)) $(CORE_SRCS)
PIC_OBJS   := $(LIB_SRCS:%.c=$(B)/pic/%.o)
LIB_SO     := $(B)/libxtcp.so.0
LIB_HDRS   := xtcp.h tcp/app.h apps/apploop.h

.SECONDARY:
.DELETE_ON_ERROR:
.PHONY: all clean deps demo test test-unit test-bpf test-netns bench fuzz soak help \
	install uninstall

# make install PREFIX=/usr DESTDIR=pkg/ (the unit and config go to /etc
# and /lib/systemd, under DESTDIR)
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions
DOCDIR     ?= $(PREFIX)/share/doc/xtcp
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
all: $(B)/xtcp $(B)/xtcp.8 $(USER_LIB) $(LIB_SO) $(BPF_OBJS) $(UNIT_TESTS) $(SAN_TESTS) $(BPF_TESTS) $(BENCH_TOOLS) \
     $(TEST_TOOLS) $(FUZZ)/fuzz_engine

help:
	@echo "make            build everything into $(B)/"
	@echo "make deps       install what a fresh Debian 12 lacks (root), mount bpffs"
	@echo "make demo       throwaway netns pair: attach, real client, SYN flood, counters"
	@echo "make test       every test layer (unit; bpf, netns as root)"
	@echo "make bench      xtcp beside the Linux stack; bench/results/REPORT.md (root)"
	@echo "                QUICK=1 for a run under five minutes"
	@echo "make test-unit | test-bpf | test-netns   one layer"
	@echo "make fuzz       libFuzzer on the engine for FUZZ_TIME seconds (default 60)"
	@echo "make soak       the simulation over SEEDS random seeds (default 100000)"
	@echo "make install    PREFIX=/usr/local DESTDIR=: xtcp, the tools, man page,"
	@echo "                bash completion, systemd unit xtcp@IFACE, example config,"
	@echo "                libxtcp (.a, .so), its headers and xtcp.pc (examples/kv)"
	@echo "make uninstall  remove what install put there (same PREFIX, DESTDIR)"
	@echo "make clean      remove $(B)/"
	@echo "V=1             show commands; CC=clang to build userspace with clang"
	@echo "TRACE=1         log every connection's state change (A => B) to stderr"

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/%.skel.h: $(B)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# the engine and the apps need a C compiler and nothing else
$(B)/user/tcp/%.o: user/tcp/%.c $(CORE_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser -c $< -o $@

$(B)/user/apps/%.o: user/apps/%.c $(CORE_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser -c $< -o $@

$(B)/user/%.o: user/%.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser -c $< -o $@

VERSION  := 0.3.0$(shell git describe --always --dirty 2>/dev/null | sed 's/^/-g/')
$(B)/user/cli/main.o: XCFLAGS += -DXTCP_VERSION='"$(VERSION)"'

$(B)/xtcp: $(XTCP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $^ -o $@ $(LDLIBS)

$(B)/tests/lib/%.o: tests/lib/%.c tests/lib/%.h $(CORE_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/lib -Iuser -c $< -o $@

$(B)/pic/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -fPIC -Iuser -c $< -o $@

$(LIB_SO): $(PIC_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,libxtcp.so.0 $^ -o $@ $(LDLIBS)

$(USER_LIB): $(filter-out $(B)/user/cli/main.o,$(XTCP_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(B)/xtcp-%: bench/%.c $(HDRS) $(SKELS) $(XSK_LIB) $(USER_LIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/lib -Iuser $< $(XSK_LIB) $(USER_LIB) -o $@ $(LDLIBS)

$(B)/xtcp-%: tests/tools/%.c $(HDRS) $(B)/tests/lib/evq.o $(USER_LIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser -Itests/lib $< $(B)/tests/lib/evq.o \
		$(USER_LIB) -o $@ $(LDLIBS)

$(B)/tests/unit/%: tests/unit/%.c tests/lib/check.h $(CORE_HDRS) $(TEST_LIB) $(SIM_LIB) $(CORE_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/lib -Iuser $< $(TEST_LIB) $(SIM_LIB) $(CORE_OBJS) -o $@ -lm

$(B)/tests/bpf/%: tests/bpf/%.c tests/lib/check.h $(HDRS) $(SKELS) $(XSK_LIB) $(USER_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/lib -Iuser $< $(XSK_LIB) $(USER_LIB) -o $@ $(LDLIBS)

$(SAN)/%.o: %.c $(CORE_HDRS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(XCFLAGS) -Iuser -Itests/lib -c $< -o $@

$(SAN)/tests/unit/%: tests/unit/%.c tests/lib/check.h $(CORE_HDRS) $(SAN_OBJS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(XCFLAGS) -Itests/lib -Iuser $< $(SAN_OBJS) -o $@ -lm

$(FUZZ)/%.o: %.c $(CORE_HDRS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) -fsanitize=fuzzer-no-link $(XCFLAGS) -Iuser -c $< -o $@

$(FUZZ)/fuzz_engine: tests/fuzz/fuzz_engine.c $(CORE_HDRS) $(CORE_SRCS:%.c=$(FUZZ)/%.o)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) -fsanitize=fuzzer $(XCFLAGS) -Iuser $< \
		$(CORE_SRCS:%.c=$(FUZZ)/%.o) -o $@ -lm

$(B)/xtcp.8: doc/xtcp.8.in scripts/manpage.sh $(B)/xtcp
	$(call msg,MAN,$@)
	$(Q)scripts/manpage.sh $(B)/xtcp $(VERSION) < $< > $@

# what install puts where: one list, so uninstall removes exactly it
INSTALLED = $(SBINDIR)/xtcp $(addprefix $(BINDIR)/,$(notdir $(BENCH_TOOLS) $(TEST_TOOLS))) \
	    $(MANDIR)/man8/xtcp.8 $(COMPDIR)/xtcp $(UNITDIR)/xtcp@.service \
	    $(SYSCONFDIR)/xtcp/xtcp.conf.example $(DOCDIR)/LICENSE \
	    $(DOCDIR)/GPL-2.0-only.txt $(DOCDIR)/BSD-2-Clause.txt \
	    $(LIBDIR)/libxtcp.a $(LIBDIR)/libxtcp.so.0 $(LIBDIR)/libxtcp.so \
	    $(LIBDIR)/pkgconfig/xtcp.pc $(addprefix $(INCLUDEDIR)/xtcp/,$(LIB_HDRS))

install: $(B)/xtcp $(B)/xtcp.8 $(BENCH_TOOLS) $(TEST_TOOLS) $(USER_LIB) $(LIB_SO)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(B)/xtcp $(DESTDIR)$(SBINDIR)/xtcp
	$(Q)install -d $(DESTDIR)$(BINDIR)
	$(Q)install -m 0755 $(BENCH_TOOLS) $(TEST_TOOLS) $(DESTDIR)$(BINDIR)/
	$(Q)install -D -m 0644 $(B)/xtcp.8 $(DESTDIR)$(MANDIR)/man8/xtcp.8
	$(Q)install -D -m 0644 dist/xtcp.bash-completion $(DESTDIR)$(COMPDIR)/xtcp
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/xtcp@.service.in > $(DESTDIR)$(UNITDIR)/xtcp@.service
	$(Q)install -D -m 0644 dist/xtcp.conf.example $(DESTDIR)$(SYSCONFDIR)/xtcp/xtcp.conf.example
	$(Q)install -D -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE
	$(Q)install -m 0644 LICENSES/GPL-2.0-only.txt LICENSES/BSD-2-Clause.txt $(DESTDIR)$(DOCDIR)/
	$(Q)install -D -m 0644 $(USER_LIB) $(DESTDIR)$(LIBDIR)/libxtcp.a
	$(Q)install -D -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libxtcp.so.0
	$(Q)ln -sf libxtcp.so.0 $(DESTDIR)$(LIBDIR)/libxtcp.so
	$(Q)for h in $(LIB_HDRS); do \
		install -D -m 0644 user/$$h $(DESTDIR)$(INCLUDEDIR)/xtcp/$$h || exit 1; done
	$(Q)install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(firstword $(subst -, ,$(VERSION)))|' \
		dist/xtcp.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/xtcp.pc

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/xtcp $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	$(Q)rmdir $(DESTDIR)$(INCLUDEDIR)/xtcp/tcp $(DESTDIR)$(INCLUDEDIR)/xtcp/apps \
		$(DESTDIR)$(INCLUDEDIR)/xtcp $(DESTDIR)$(LIBDIR)/pkgconfig 2>/dev/null || true

deps:
	$(Q)scripts/deps.sh

demo: deps all
	$(Q)scripts/demo.sh

test: all
	$(Q)tests/run.sh all

# the unit layer needs gcc and clang only: no BPF toolchain, no root
test-unit: $(UNIT_TESTS) $(SAN_TESTS) $(FUZZ)/fuzz_engine
	$(Q)tests/run.sh unit

test-bpf: all
	$(Q)tests/run.sh bpf

test-netns: all
	$(Q)tests/run.sh netns

# new inputs go to build/; tests/fuzz/corpus is the committed seed set
fuzz: $(FUZZ)/fuzz_engine
	$(Q)mkdir -p $(FUZZ)/corpus
	$(Q)$(FUZZ)/fuzz_engine -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		-timeout=10 $(FUZZ)/corpus tests/fuzz/corpus

soak: $(B)/tests/unit/test_tcp_sim
	$(Q)$(B)/tests/unit/test_tcp_sim --seeds $(or $(SEEDS),100000) --start 1000000

bench: deps all
	$(Q)QUICK=$(QUICK) bench/run.sh

clean:
	$(call msg,CLEAN,$(B))
	$(Q)rm -rf $(B)

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# racetrace: make | make test | make demo | make bench | make vmlinux | make deb | make deb-check |
# make clean
OUTPUT := .output
CLANG ?= clang-19
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# The version and its date live in one place, debian/changelog's newest entry (a release is a
# new entry there): `racetrace -V` and the metrics' build info (through $(OUTPUT)/version.h), the
# man page and the Debian package all take them from it. Read with sed, not
# dpkg-parsechangelog, so that a plain `make` needs no dpkg-dev.
VERSION := $(shell sed -n '1s/^racetrace (\([^ ]*\)) .*/\1/p' debian/changelog 2>/dev/null)
ifeq ($(VERSION),)
$(error no version in debian/changelog (its first line must read 'racetrace (X.Y) ...'): \
restore it with 'git checkout debian/changelog')
endif
VERSION_DATE := $(shell date -u -d "$$(sed -n '/^ -- /{s/^ -- .*>  //p;q}' debian/changelog)" +%F \
	2>/dev/null)
ifeq ($(VERSION_DATE),)
$(error no date in debian/changelog's first ' -- NAME <EMAIL>  DATE' line: restore it with \
'git checkout debian/changelog')
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Fail early, and name the fix, when the toolchain is missing. Not for deps and clean, which do
# not need it, nor for demo, test, bench, deb and deb-check, which install it (scripts/deps.sh)
# before building in a second make, where these checks run.
NEED_TOOLCHAIN := $(if $(MAKECMDGOALS),$(filter-out deps clean demo test bench deb deb-check,\
	$(MAKECMDGOALS)),all)
ifneq ($(NEED_TOOLCHAIN),)
ifeq ($(shell command -v $(CLANG) 2>/dev/null),)
$(error $(CLANG) not found: run 'sudo scripts/deps.sh' (or 'make demo' / 'make test', which run it))
endif
ifeq ($(shell command -v $(BPFTOOL) 2>/dev/null),)
$(error bpftool not found: run 'sudo scripts/deps.sh')
endif
ifeq ($(shell pkg-config --atleast-version=1.4 libbpf 2>/dev/null && echo ok),)
$(error libbpf >= 1.4 (bookworm-backports) not found: run 'sudo scripts/deps.sh')
endif
endif

# Use clang's system include dirs for BPF code too: the BPF target has no default ones, and
# without them <asm/types.h> and friends are not found (idea from libbpf-bootstrap).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I vmlinux/$(ARCH) -I bpf $(CLANG_BPF_SYS_INCLUDES)

LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_STATIC := $(shell pkg-config --variable=libdir libbpf 2>/dev/null)/libbpf.a
CFLAGS ?= -g -O2
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-format-truncation
# CPPFLAGS and LDFLAGS are empty unless given: the Debian build passes dpkg-buildflags' hardening
# ones (_FORTIFY_SOURCE, relro, bindnow) through them (debian/rules).
ALL_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I $(OUTPUT) -I bpf -I user \
	$(LIBBPF_CFLAGS) -MD -MP
# libbpf statically (the backports version is not what a stock bookworm host has); elfutils and
# zlib dynamically, as every Debian host has them.
CAPSTONE := $(shell pkg-config --variable=libdir capstone 2>/dev/null)/libcapstone.a
LDLIBS := $(LIBBPF_STATIC) -lelf -ldw -lz -lpthread -lmicrohttpd $(CAPSTONE)

# maps.bpf.c first: it defines the maps the others declare extern
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/racetrace.skel.h

# User space, one folder per stage of the pipeline (docs/design.md). The stages before probe/ and
# run/ are pure C with no libbpf: racetrace, the unit tests and the fuzzers share them.
CORE_DIRS := lib record elf sym report engine detect
LIVE_DIRS := probe run
CORE_SRCS := $(foreach d,$(CORE_DIRS),$(wildcard user/$(d)/*.c))
LIVE_SRCS := user/main.c $(foreach d,$(LIVE_DIRS),$(wildcard user/$(d)/*.c))
ENGINE_SRCS := $(CORE_SRCS)
ENGINE_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CORE_SRCS))
LIVE_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIVE_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))
# Unit tests run under ASan and UBSan, so the engine is built a second time for them.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_ENGINE_OBJS := $(patsubst user/%.c,$(OUTPUT)/san/%.o,$(ENGINE_SRCS))

BPFTEST_SRCS := $(wildcard tests/bpf/*.c)
BPFTEST_BINS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%,$(BPFTEST_SRCS))

# libFuzzer targets (clang); built by 'make fuzz', run briefly by tests/run_all.sh
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))

TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGET_BINS := $(patsubst tests/targets/%.c,$(OUTPUT)/targets/%,$(TARGET_SRCS))
TARGET_CFLAGS := -g -O2 -fno-omit-frame-pointer -pthread -Wall -Wextra -Werror

.PHONY: all deps vmlinux test unit e2e bpftest demo bench clean targets fuzz install soak \
	go-targets sabotage sabotage-check fuzz-planted deb deb-check
all: $(OUTPUT)/racetrace targets

deps:
	$(Q)scripts/deps.sh

vmlinux:
	$(call msg,GEN,$(VMLINUX))
	$(Q)scripts/gen_vmlinux.sh $(VMLINUX)

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/san $(OUTPUT)/tests/unit $(OUTPUT)/targets \
$(OUTPUT)/tests/bpf $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/events.h bpf/common.bpf.h $(VMLINUX) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/racetrace.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/racetrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name racetrace_bpf > $@

$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# live-side objects include the skeleton, and run/cli.h the version
$(LIVE_OBJS): $(SKEL) $(OUTPUT)/version.h

$(OUTPUT)/version.h: debian/changelog | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)printf '/* generated from debian/changelog by the Makefile */\n#define RT_VERSION "%s"\n' \
		'$(VERSION)' >$@

# The man page with the version and date of debian/changelog's newest entry
$(OUTPUT)/racetrace.8: dist/racetrace.8 debian/changelog | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@DATE@/$(VERSION_DATE)/g' $< >$@

$(OUTPUT)/racetrace: $(LIVE_OBJS) $(ENGINE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The same racetrace with the RT_SABOTAGE knob (user/lib/sabotage.h), never installed: it
# exists so that tests/sabotage.sh can show that the tests notice a broken racetrace.
SABOTAGE_OBJS := $(patsubst user/%.c,$(OUTPUT)/sabotage/%.o,$(LIVE_SRCS) $(CORE_SRCS))
$(OUTPUT)/sabotage/%.o: user/%.c $(SKEL) $(OUTPUT)/version.h
	$(call msg,CC-SAB,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DRT_SABOTAGE -c $< -o $@

$(OUTPUT)/sabotage/racetrace: $(SABOTAGE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

sabotage: $(OUTPUT)/sabotage/racetrace

# Each sabotage must make some must-not-report e2e test fail (tests/sabotage.sh)
sabotage-check: $(OUTPUT)/sabotage/racetrace targets go-targets
	$(Q)tests/sabotage.sh

$(OUTPUT)/san/%.o: user/%.c
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(SAN_ENGINE_OBJS) | $(OUTPUT)/tests/unit
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -I tests/unit $(filter %.c %.o,$^) -lcmocka -lz -lelf -ldw \
		$(CAPSTONE) -o $@

# Go probe placement has no libbpf: the unit test of the Go reader checks it too
$(OUTPUT)/tests/unit/test_goelf: $(OUTPUT)/san/probe/goprobe.o

$(OUTPUT)/tests/bpf/%: tests/bpf/%.c $(SKEL) | $(OUTPUT)/tests/bpf
	$(call msg,BPFTEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O0 $< $(LDLIBS) -o $@

# A sanitizer report must end the run (-fno-sanitize-recover=all), or UBSan would print and go
# on, and the fuzz tier pass. pipeline.c is the analysis half of `racetrace report`, which
# fuzz_report runs on untrusted traces.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -I bpf -I user \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_DEPS := $(ENGINE_SRCS) user/run/pipeline.c
$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -lz -lelf -ldw $(CAPSTONE) -o $@

fuzz: $(FUZZ_BINS)

# The same fuzzers with an undefined behaviour planted in the record decoder (RT_PLANT_UB in
# user/record/event.c): tests/fuzz/planted.sh shows that the fuzz tier fails on it.
FUZZ_PLANTED_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz-planted/%,$(FUZZ_SRCS))
$(OUTPUT)/fuzz-planted/%: tests/fuzz/%.c $(FUZZ_DEPS)
	$(call msg,FUZZ-UB,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -DRT_PLANT_UB $(filter %.c,$^) -lz -lelf -ldw $(CAPSTONE) -o $@

fuzz-planted: $(FUZZ_PLANTED_BINS)
	$(Q)tests/fuzz/planted.sh

$(OUTPUT)/targets/%: tests/targets/%.c tests/targets/target.h | $(OUTPUT)/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(TARGET_CFLAGS) $< -o $@

# Examples are built like the tests' targets: -O2, frame pointers, debug info; and with the
# hardening flags of the Debian build (CPPFLAGS, LDFLAGS), which ships the bank.
EXAMPLE_BINS := $(patsubst examples/%.c,$(OUTPUT)/examples/%,$(wildcard examples/*.c))
$(OUTPUT)/examples:
	$(Q)mkdir -p $@
$(OUTPUT)/examples/%: examples/%.c | $(OUTPUT)/examples
	$(call msg,EXAMPLE,$@)
	$(Q)$(CC) $(CPPFLAGS) $(TARGET_CFLAGS) $(LDFLAGS) $< -o $@

# The report tests need the same programs without frame pointers, and stripped.
NOFP_CFLAGS := $(filter-out -fno-omit-frame-pointer,$(TARGET_CFLAGS)) -fomit-frame-pointer
VARIANT_BINS := $(OUTPUT)/targets/abba-nofp $(OUTPUT)/targets/abba-stripped \
	$(OUTPUT)/targets/bank $(OUTPUT)/targets/bank-nofp
$(OUTPUT)/targets/%-nofp: tests/targets/%.c tests/targets/target.h | $(OUTPUT)/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) $< -o $@
$(OUTPUT)/targets/%-stripped: $(OUTPUT)/targets/% | $(OUTPUT)/targets
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<
$(OUTPUT)/targets/bank: examples/bank.c | $(OUTPUT)/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(TARGET_CFLAGS) $< -o $@
$(OUTPUT)/targets/bank-nofp: examples/bank.c | $(OUTPUT)/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) $< -o $@

# Shared libraries the targets dlopen() (tests/targets/dlopener.c): built like them, PIC.
TARGET_LIBS := $(patsubst tests/targets/lib/%.c,$(OUTPUT)/targets/lib%.so,\
	$(wildcard tests/targets/lib/*.c))
$(OUTPUT)/targets/lib%.so: tests/targets/lib/%.c | $(OUTPUT)/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(TARGET_CFLAGS) -fPIC -shared $< -o $@

targets: $(TARGET_BINS) $(EXAMPLE_BINS) $(VARIANT_BINS) $(TARGET_LIBS)

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

e2e: $(OUTPUT)/racetrace targets
	$(Q)tests/e2e/run.sh

# Replays of the recorded traces, byte for byte (tests/golden/README.md); a tier of 'make test'
.PHONY: golden
golden: $(OUTPUT)/racetrace go-targets
	$(Q)tests/golden/check.sh

go-targets:
	$(call msg,GO,tests/targets/go)
	$(Q)scripts/build_go_targets.sh

test: deps
	$(Q)t=$$(date +%s); $(MAKE) --no-print-directory all $(UNIT_BINS) $(BPFTEST_BINS) \
		$(FUZZ_BINS) && echo "make test: built in $$(($$(date +%s) - t)) s"
	$(Q)t=$$(date +%s); $(MAKE) --no-print-directory go-targets && \
		echo "make test: Go targets built in $$(($$(date +%s) - t)) s"
	$(Q)tests/run_all.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# Overhead next to other tools, as ratios to plain runs (not part of 'make test'): bench/run.sh
# prints the tables and writes bench/results.json and docs/performance.md.
bench: deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/racetrace
	$(Q)bench/run.sh

PREFIX ?= /usr
install: $(OUTPUT)/racetrace $(OUTPUT)/racetrace.8 $(OUTPUT)/examples/bank
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(OUTPUT)/racetrace $(DESTDIR)$(PREFIX)/sbin/racetrace
	$(Q)install -D -m 0644 dist/racetrace.service $(DESTDIR)/lib/systemd/system/racetrace.service
	$(Q)install -D -m 0644 $(OUTPUT)/racetrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/racetrace.8
	$(Q)install -D -m 0644 docs/config.md $(DESTDIR)$(PREFIX)/share/doc/racetrace/config.md
	$(Q)install -D -m 0644 dist/racetrace.conf $(DESTDIR)$(PREFIX)/share/doc/racetrace/racetrace.conf.example
	$(Q)test -e $(DESTDIR)/etc/racetrace/racetrace.conf || \
		install -D -m 0644 dist/racetrace.conf $(DESTDIR)/etc/racetrace/racetrace.conf
	$(Q)install -D -m 0755 $(OUTPUT)/examples/bank $(DESTDIR)$(PREFIX)/lib/racetrace/examples/bank
	$(Q)install -D -m 0644 examples/bank.c \
		$(DESTDIR)$(PREFIX)/share/doc/racetrace/examples/bank.c

# The Debian package (debian/, docs/install.md): .output/deb/racetrace_$(VERSION)_amd64.deb and
# its -dbgsym, built by dpkg-buildpackage in a copy of the tree, then checked by lintian.
# DEB_SUFFIX=+local1 builds a newer local version of the same tree.
deb:
	$(Q)scripts/deps.sh --deb
	$(Q)scripts/build-deb.sh $(OUTPUT)/deb $(DEB_SUFFIX)

# The package on a fresh Debian 12 root: install, run, upgrade, remove, purge
# (scripts/deb-check.sh). Not part of `make test`.
deb-check:
	$(Q)scripts/deps.sh --deb
	$(Q)scripts/deb-check.sh

soak: all
	$(Q)tests/soak.sh

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/user/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/san/*/*.d \
	$(OUTPUT)/sabotage/*.d $(OUTPUT)/sabotage/*/*.d $(OUTPUT)/tests/unit/*.d)

.DELETE_ON_ERROR:
.SECONDARY:

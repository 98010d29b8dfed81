# keyroll - one non-recursive Makefile.
#
# Every folder in MODULES builds an archive of its *.c files except main.c;
# a folder with a main.c also builds the tool keyroll-<folder>.  Tools and
# tests link every archive (in a group), so code moves between folders freely.
# Per-folder *.mk fragments may add to EXTRA_CFLAGS, EXTRA_LDLIBS, CHECK_DEPS.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/keyroll
DESTDIR  ?=
VERSION  := 0.1.0

CC       ?= cc
PKGS     := openssl libp11 libxml-2.0 libcbor libfyaml p11-kit-1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

MODULES  := lib hsm ksr skr trustanchor ceremony
TOOLS    := $(foreach m,$(MODULES),$(if $(wildcard $(m)/main.c),keyroll-$(m)))

ifeq ($(FUZZ),1)
CC       := clang
BUILD    := build/fuzz
SAN      := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
OPT      := -O1
else ifeq ($(SANITIZE),1)
BUILD    := build/asan
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT      := -O1
else
BUILD    := build/release
SAN      :=
OPT      := -O2
endif
BIN      := $(if $(filter 1,$(SANITIZE)),$(BUILD)/bin,bin)

CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DKEYROLL_VERSION='"$(VERSION)"' \
             -DKEYROLL_DATADIR='"$(DATADIR)"' -Wall -Wextra -Werror \
             -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -I. $(PKG_CFLAGS) $(SAN) $(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lgfshare -lm $(EXTRA_LDLIBS)

-include $(wildcard */*.mk)

modsrcs  = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
modobjs  = $(patsubst %.c,$(BUILD)/%.o,$(call modsrcs,$(1)))
ARCHIVES := $(foreach m,$(MODULES),$(BUILD)/lib$(m).a)
TOOL_BINS := $(addprefix $(BIN)/,$(TOOLS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.SECONDARY:
.PHONY: all check run-check unit integration demo bench install clean asan fuzz fuzz-bins fuzz-smoke deps format
all: $(TOOL_BINS)

# Objects are rebuilt when the compiled-in settings change (make install
# PREFIX=/usr after a default build must not keep /usr/local paths).
CONFIG_STAMP := $(BUILD)/config.stamp
CONFIG_TEXT  := $(VERSION) $(DATADIR) $(CC) $(SAN)
$(shell mkdir -p $(BUILD) && { echo '$(CONFIG_TEXT)' | cmp -s - $(CONFIG_STAMP) || \
	echo '$(CONFIG_TEXT)' > $(CONFIG_STAMP); })

$(BUILD)/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

define archive_rule
$(BUILD)/lib$(1).a: $(call modobjs,$(1))
	@mkdir -p $$(dir $$@)
	rm -f $$@
	$$(AR) rcs $$@ $$^ $$(if $$^,,$(BUILD)/empty.o)
endef
$(foreach m,$(MODULES),$(eval $(call archive_rule,$(m))))

$(BUILD)/empty.o:
	@mkdir -p $(dir $@)
	echo 'typedef int kr_empty_unit;' | $(CC) -x c -c -o $@ -

# Archives with no objects still need one member for ar.
$(foreach m,$(MODULES),$(if $(call modsrcs,$(m)),,$(eval $(BUILD)/lib$(m).a: $(BUILD)/empty.o)))

LINK = $(CC) $(ALL_CFLAGS) -o $@ $< -Wl,--start-group $(ARCHIVES) -Wl,--end-group $(LDLIBS_ALL)

$(BIN)/keyroll-%: $(BUILD)/%/main.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(LINK)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(LINK) -lcmocka

# make check / make demo first install missing Debian packages (as root), then
# build in a second make so pkg-config sees the installed libraries.
check:
	@sh scripts/install-deps.sh --auto
	@$(MAKE) --no-print-directory run-check

run-check: all $(UNIT_BINS) $(CHECK_DEPS)
	@BUILD=$(BUILD) BIN=$(abspath $(BIN)) sh tests/run.sh $(UNIT_BINS)

# Run the same suite under ASan + UBSan.
asan:
	$(MAKE) SANITIZE=1 run-check

deps:
	sh scripts/install-deps.sh

demo:
	@sh scripts/install-deps.sh --auto
	@$(MAKE) --no-print-directory all
	@BIN=$(abspath $(BIN)) sh scripts/demo.sh

bench: all
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; BIN=$(abspath $(BIN)) "$$b" || exit 1; }; done; true

# make fuzz: libFuzzer harnesses tests/fuzz/fuzz_*.c into build/fuzz/bin/
# (clang; the archives are rebuilt with fuzzer instrumentation).
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BINS)

# make fuzz-smoke: every harness for FUZZ_SECONDS on its seed corpus
# (tests/fuzz/corpus/<name>/ when present); a crash fails the target.
FUZZ_SECONDS ?= 20
fuzz-smoke: fuzz
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); c=build/fuzz/corpus/$$n; mkdir -p $$c; \
	  [ -d tests/fuzz/corpus/$$n ] && cp -n tests/fuzz/corpus/$$n/* $$c/ 2>/dev/null; \
	  echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $$c >build/fuzz/$$n.log 2>&1 || \
	  { tail -n 40 build/fuzz/$$n.log; exit 1; }; done

build/fuzz/bin/%: tests/fuzz/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< -Wl,--start-group $(ARCHIVES) -Wl,--end-group $(LDLIBS_ALL)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	for m in docs/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/; done; true
	for d in skr/policies scripts/ceremonies; do [ -d "$$d" ] && { install -d $(DESTDIR)$(DATADIR)/$$d; cp -R $$d/. $(DESTDIR)$(DATADIR)/$$d/; }; done; true

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build bin var/demo

-include $(shell find build -name '*.d' 2>/dev/null)

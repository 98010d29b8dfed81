# Benchmark programs: built on demand by bench/* scripts (`make bench`),
# never by `make all`.
BENCH_BINS := $(BUILD)/bench/hsm_sign

$(BUILD)/bench/hsm_sign: $(BUILD)/bench/hsm_sign.o $(foreach m,$(MODULES),$(BUILD)/lib$(m).a)
	@mkdir -p $(dir $@)
	$(LINK)

.PHONY: bench-bins
bench-bins: $(BENCH_BINS)

# bench/skr's program (built on demand by the bench/skr script).
BENCH_BINS += $(BUILD)/bench/skr_sign
bench-bins: $(BUILD)/bench/skr_sign

$(BUILD)/bench/skr_sign: $(BUILD)/bench/skr_sign.o $(foreach m,$(MODULES),$(BUILD)/lib$(m).a)
	@mkdir -p $(dir $@)
	$(LINK)

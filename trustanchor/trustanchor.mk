# The RELAX NG grammar is assembled into ta_schema.o with .incbin: rebuild the
# object when the grammar changes.  This fragment is read before `all`, so it
# must not become the default goal.
.DEFAULT_GOAL := all
$(BUILD)/trustanchor/ta_schema.o: trustanchor/rfc9718.rng

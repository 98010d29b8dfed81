# make testbed: the rollover test bed with real validators (docs/testbed.md).
# A complete KSK roll through keyroll-hsm, keyroll-skr, knotd and Unbound,
# compared with keyroll-trustanchor simulate; about three minutes.
.PHONY: testbed
testbed: all
	@TOP=$(CURDIR) BIN=$(abspath $(BIN)) sh scripts/testbed/testbed.sh

/*
 * fuzz_simplan.c - libFuzzer harness for the simulator's YAML readers
 * (trustanchor/sim_plan.c, sim_pop.c, sim_yaml.c).  The first byte picks the
 * reader: a rollover plan, or a population against the root-2026 preset.
 * A plan that parses must be internally consistent (segments in time order,
 * masks within the keys) and must lint; a population that parses runs 20
 * validators through both engines, which must agree validator by validator.  Seed corpus: tests/fuzz/corpus/fuzz_simplan
 * (the example plans and population).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "trustanchor/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_timeline(const struct sim_timeline *tl)
{
	struct sim_lint_options lo;
	struct sim_lint *l = NULL;
	uint8_t all = (uint8_t)((1u << tl->nkeys) - 1);

	if (tl->nsegs == 0 || tl->nkeys == 0 || tl->nkeys > SIM_MAX_KSK || tl->end <= tl->start)
		abort();
	for (size_t i = 0; i < tl->nsegs; i++) {
		const struct sim_seg *g = &tl->segs[i];
		if ((i && g->start <= tl->segs[i - 1].start) || g->start >= tl->end)
			abort();
		if ((g->present | g->revoked | g->signers | g->rsigners) & ~all)
			abort();
		if ((g->signers & ~g->present) || (g->rsigners & ~g->revoked) || (g->present & g->revoked))
			abort();
	}
	sim_lint_defaults(&lo);
	if (sim_lint_run(tl, &lo, &l) != 0)
		abort();
	sim_lint_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim_timeline *preset;
	struct sim_timeline *tl = NULL;
	struct sim_population *pop = NULL;
	char err[512];

	if (size < 1)
		return 0;
	if (!preset && sim_preset("root-2026", &preset, NULL, 0) != 0)
		abort();
	if (data[0] & 1) {
		if (sim_plan_parse((const char *)data + 1, size - 1, &tl, err, sizeof(err)) != 0)
			return 0;
		check_timeline(tl);
		sim_timeline_free(tl);
	} else if (sim_population_parse((const char *)data + 1, size - 1, preset, &pop, err,
					sizeof(err)) == 0) {
		/* differential: the exact and the fast engine must agree */
		struct sim_options o = {0};
		struct sim_result *ra = NULL, *rb = NULL;
		struct sim_outcome a[20], b[20];
		o.validators = 20;
		o.step = 30 * SIM_DAY;
		o.threads = 1;
		o.outcomes = a;
		o.exact = 1;
		if (sim_run(preset, pop, &o, &ra) != 0)
			abort();
		o.outcomes = b;
		o.exact = 0;
		if (sim_run(preset, pop, &o, &rb) != 0)
			abort();
		if (memcmp(a, b, sizeof(a)) ||
		    memcmp(ra->counts, rb->counts, ra->nsamples * SIM_NCLASSES * sizeof(uint32_t)))
			abort();
		sim_result_free(ra);
		sim_result_free(rb);
		sim_population_free(pop);
	}
	return 0;
}

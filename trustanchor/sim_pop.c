/*
 * sim_pop.c - validator profiles and populations (YAML format in
 * docs/simulator.md; implementation defaults and their sources there too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"
#include "trustanchor/sim_int.h"

#define ERRARGS errbuf, errlen

static const struct {
	const char *name;
	enum sim_impl impl;
} impls[] = {
	{"rfc5011", SIM_IMPL_RFC5011}, {"unbound", SIM_IMPL_UNBOUND}, {"bind", SIM_IMPL_BIND},
	{"knot", SIM_IMPL_KNOT},       {"static", SIM_IMPL_STATIC},
};

/* Algorithms a current validator validates: 5, 7, 8, 10, 13, 14, 15, 16. */
#define ALGS_MODERN ((1u << 5) | (1u << 7) | (1u << 8) | (1u << 10) | (1u << 13) | (1u << 14) | \
		     (1u << 15) | (1u << 16))

void sim_profile_defaults(struct sim_profile *p, enum sim_impl impl)
{
	memset(p, 0, sizeof(*p));
	p->impl = impl;
	p->weight = 1;
	p->add_holddown = 30 * SIM_DAY;
	p->del_holddown = 30 * SIM_DAY;
	p->refresh_min = SIM_HOUR;
	p->refresh_max = 15 * SIM_DAY;
	p->retry_min = SIM_HOUR;
	p->retry_max = SIM_DAY;
	p->use_sig_expiry = 1;
	p->pending_min = 2;
	p->persist = 1;
	p->algorithms = ALGS_MODERN;
	p->anchors_auto = 1;
	p->image_age.hi = 730 * SIM_DAY;
	p->restart_every.lo = 7 * SIM_DAY;
	p->restart_every.hi = 180 * SIM_DAY;
	p->offline_for.lo = SIM_DAY;
	p->offline_for.hi = 120 * SIM_DAY;
	p->nedns = 2;
	p->edns[0] = 1232;
	p->edns_weight[0] = 0.6;
	p->edns[1] = 4096;
	p->edns_weight[1] = 0.4;
	p->tcp = 0.97;
	p->loss_above = 1452;
	p->loss = 0.1;
	switch (impl) {
	case SIM_IMPL_UNBOUND:
		/* autotrust: probes at 90-100 % of the interval, pending count
		 * 2, keep-missing 366 d, signals and sentinel on by default */
		snprintf(p->name, sizeof(p->name), "unbound");
		p->jitter = 0.1;
		p->keep_missing = 366 * SIM_DAY;
		p->signal_8145 = 1;
		p->sentinel_8509 = 1;
		break;
	case SIM_IMPL_BIND:
		/* managed keys: a pending key seen missing restarts its timer */
		snprintf(p->name, sizeof(p->name), "bind");
		p->pending_missing_restart = 1;
		p->signal_8145 = 1;
		p->sentinel_8509 = 1;
		break;
	case SIM_IMPL_KNOT:
		/* Knot Resolver: refresh from the TTL only, no signature term */
		snprintf(p->name, sizeof(p->name), "knot");
		p->use_sig_expiry = 0;
		p->signal_8145 = 1;
		p->sentinel_8509 = 1;
		break;
	case SIM_IMPL_STATIC:
		snprintf(p->name, sizeof(p->name), "static");
		p->signal_8145 = 0.5;
		break;
	default:
		snprintf(p->name, sizeof(p->name), "rfc5011");
		break;
	}
}

static void pop_defaults_for(struct sim_profile *p, const struct sim_timeline *tl)
{
	p->install.lo = tl->start - 3 * 365 * SIM_DAY;
	p->install.hi = tl->end;
	p->restart_fraction = 0.3;
	p->offline_fraction = 0.02;
	p->offline_at.lo = tl->start;
	p->offline_at.hi = tl->end;
}

void sim_population_free(struct sim_population *pop)
{
	free(pop);
}

int sim_population_default(const struct sim_timeline *tl, struct sim_population **out)
{
	static const struct {
		const char *name;
		enum sim_impl impl;
		double weight;
		int persist;
		uint32_t algs;
	} mix[] = {
		{"unbound", SIM_IMPL_UNBOUND, 36, 1, 0},
		{"bind", SIM_IMPL_BIND, 36, 1, 0},
		{"knot", SIM_IMPL_KNOT, 10, 1, 0},
		{"rfc5011", SIM_IMPL_RFC5011, 5, 1, 0},
		{"static", SIM_IMPL_STATIC, 5, 1, 0},
		{"unbound-nopersist", SIM_IMPL_UNBOUND, 5, 0, 0},
		{"bind-rsa-only", SIM_IMPL_BIND, 3, 1, (1u << 5) | (1u << 7) | (1u << 8) | (1u << 10)},
	};
	struct sim_population *pop = calloc(1, sizeof(*pop));

	if (!pop)
		return KR_ENOMEM;
	pop->size = 100000;
	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		struct sim_profile *p = &pop->profiles[pop->nprofiles++];
		sim_profile_defaults(p, mix[i].impl);
		pop_defaults_for(p, tl);
		snprintf(p->name, sizeof(p->name), "%s", mix[i].name);
		p->weight = mix[i].weight;
		p->persist = mix[i].persist;
		if (!p->persist) {
			/* containers and read-only images: restart often */
			p->restart_fraction = 1;
			p->restart_every.lo = SIM_DAY;
			p->restart_every.hi = 60 * SIM_DAY;
		}
		if (mix[i].algs)
			p->algorithms = mix[i].algs;
	}
	*out = pop;
	return 0;
}

/* ---- YAML ---------------------------------------------------------------------- */

static const char *const top_keys[] = {"size", "profiles", NULL};
static const char *const prof_keys[] = {
	"name",        "implementation", "weight",       "persist",       "algorithms",
	"add_holddown", "del_holddown",  "keep_missing", "refresh",       "retry",
	"jitter",      "pending_min",    "signal_8145",  "sentinel_8509", "anchors",
	"install",     "image_age",      "restart",      "offline",       "edns",
	"tcp",         "loss",           NULL};
static const char *const minmax_keys[] = {"min", "max", NULL};
static const char *const fromto_keys[] = {"from", "to", NULL};
static const char *const restart_keys[] = {"fraction", "every", NULL};
static const char *const offline_keys[] = {"fraction", "at", "for", NULL};
static const char *const edns_keys[] = {"size", "weight", NULL};
static const char *const loss_keys[] = {"above", "probability", NULL};

/* {min: DUR, max: DUR} or a single duration */
static int dur_range(struct fy_node *n, struct sim_range *r, char *errbuf, size_t errlen)
{
	int rc;

	if (fy_node_is_scalar(n)) {
		if ((rc = sim_y_dur(n, &r->lo, ERRARGS)))
			return rc;
		r->hi = r->lo;
		return 0;
	}
	if ((rc = sim_y_map(n, minmax_keys, ERRARGS)) ||
	    (rc = sim_y_dur(sim_y_get(n, "min"), &r->lo, ERRARGS)) ||
	    (rc = sim_y_dur(sim_y_get(n, "max"), &r->hi, ERRARGS)))
		return rc;
	if (r->hi < r->lo)
		return sim_y_err(n, ERRARGS, "max is below min");
	return 0;
}

/* {from: DATE, to: DATE} */
static int time_range(struct fy_node *n, struct sim_range *r, char *errbuf, size_t errlen)
{
	int rc;

	if ((rc = sim_y_map(n, fromto_keys, ERRARGS)) ||
	    (rc = sim_y_time(sim_y_get(n, "from"), &r->lo, ERRARGS)) ||
	    (rc = sim_y_time(sim_y_get(n, "to"), &r->hi, ERRARGS)))
		return rc;
	if (r->hi < r->lo)
		return sim_y_err(n, ERRARGS, "'to' is before 'from'");
	return 0;
}

static int frac(struct fy_node *n, double *v, char *errbuf, size_t errlen)
{
	return sim_y_double(n, 0, 1, v, ERRARGS);
}

static int parse_profile(struct fy_node *n, const struct sim_timeline *tl, struct sim_profile *p,
			 char *errbuf, size_t errlen)
{
	struct fy_node *x, *y, *item;
	const char *s;
	uint64_t v;
	void *it = NULL;
	size_t i;
	int rc;

	if ((rc = sim_y_map(n, prof_keys, ERRARGS)))
		return rc;
	if ((rc = sim_y_str(sim_y_get(n, "implementation"), &s, ERRARGS)))
		return rc;
	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++)
		if (!strcmp(impls[i].name, s))
			break;
	if (i == sizeof(impls) / sizeof(impls[0]))
		return sim_y_err(sim_y_get(n, "implementation"), ERRARGS,
				 "implementation is rfc5011, unbound, bind, knot or static");
	sim_profile_defaults(p, impls[i].impl);
	pop_defaults_for(p, tl);
	if ((x = sim_y_get(n, "name"))) {
		if ((rc = sim_y_str(x, &s, ERRARGS)))
			return rc;
		if (!*s || strlen(s) >= sizeof(p->name))
			return sim_y_err(x, ERRARGS, "name must be 1-%zu characters", sizeof(p->name) - 1);
		strcpy(p->name, s);
	}
	if ((x = sim_y_get(n, "weight")) && (rc = sim_y_double(x, 0, 1e12, &p->weight, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "persist")) && (rc = sim_y_bool(x, &p->persist, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "algorithms"))) {
		if (!fy_node_is_sequence(x))
			return sim_y_err(x, ERRARGS, "expected a list of algorithm numbers");
		p->algorithms = 0;
		while ((item = fy_node_sequence_iterate(x, &it))) {
			if ((rc = sim_y_uint(item, 31, &v, ERRARGS)))
				return rc;
			p->algorithms |= 1u << v;
		}
	}
	if ((x = sim_y_get(n, "add_holddown")) && (rc = sim_y_dur(x, &p->add_holddown, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "del_holddown")) && (rc = sim_y_dur(x, &p->del_holddown, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "keep_missing")) && (rc = sim_y_dur(x, &p->keep_missing, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "refresh"))) {
		struct sim_range r;
		if ((rc = dur_range(x, &r, ERRARGS)))
			return rc;
		p->refresh_min = r.lo;
		p->refresh_max = r.hi;
	}
	if ((x = sim_y_get(n, "retry"))) {
		struct sim_range r;
		if ((rc = dur_range(x, &r, ERRARGS)))
			return rc;
		p->retry_min = r.lo;
		p->retry_max = r.hi;
	}
	if (p->refresh_min < 60 || p->retry_min < 60)
		return sim_y_err(n, ERRARGS, "refresh and retry minimums must be at least 60 s");
	if ((x = sim_y_get(n, "jitter")) && (rc = sim_y_double(x, 0, 0.5, &p->jitter, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "pending_min"))) {
		if ((rc = sim_y_uint(x, 7, &v, ERRARGS)))
			return rc;
		if (v < 1)
			return sim_y_err(x, ERRARGS, "pending_min is 1 to 7");
		p->pending_min = (unsigned)v;
	}
	if ((x = sim_y_get(n, "signal_8145")) && (rc = frac(x, &p->signal_8145, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "sentinel_8509")) && (rc = frac(x, &p->sentinel_8509, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "anchors"))) {
		if (fy_node_is_scalar(x) && (s = fy_node_get_scalar0(x)) && !strcmp(s, "auto")) {
			p->anchors_auto = 1;
		} else {
			if ((rc = sim_y_keys(x, tl->keys, tl->nkeys, &p->anchors, ERRARGS)))
				return rc;
			p->anchors_auto = 0;
		}
	}
	if ((x = sim_y_get(n, "install")) && (rc = time_range(x, &p->install, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "image_age")) && (rc = dur_range(x, &p->image_age, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "restart"))) {
		if ((rc = sim_y_map(x, restart_keys, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "fraction")) && (rc = frac(y, &p->restart_fraction, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "every")) && (rc = dur_range(y, &p->restart_every, ERRARGS)))
			return rc;
		if (p->restart_every.lo < SIM_HOUR)
			return sim_y_err(x, ERRARGS, "restarts at most once an hour");
	}
	if ((x = sim_y_get(n, "offline"))) {
		if ((rc = sim_y_map(x, offline_keys, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "fraction")) && (rc = frac(y, &p->offline_fraction, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "at")) && (rc = time_range(y, &p->offline_at, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "for")) && (rc = dur_range(y, &p->offline_for, ERRARGS)))
			return rc;
	}
	if ((x = sim_y_get(n, "edns"))) {
		double total = 0;
		if (!fy_node_is_sequence(x))
			return sim_y_err(x, ERRARGS, "edns: a list of {size, weight}");
		p->nedns = 0;
		it = NULL;
		while ((item = fy_node_sequence_iterate(x, &it))) {
			if (p->nedns == 8)
				return sim_y_err(x, ERRARGS, "at most 8 EDNS sizes");
			if ((rc = sim_y_map(item, edns_keys, ERRARGS)) ||
			    (rc = sim_y_uint(sim_y_get(item, "size"), 65535, &v, ERRARGS)) ||
			    (rc = sim_y_double(sim_y_get(item, "weight"), 0, 1e12,
					       &p->edns_weight[p->nedns], ERRARGS)))
				return rc;
			if (v < 512)
				return sim_y_err(item, ERRARGS, "EDNS buffer size below 512");
			p->edns[p->nedns] = (uint16_t)v;
			total += p->edns_weight[p->nedns++];
		}
		if (p->nedns == 0 || total <= 0)
			return sim_y_err(x, ERRARGS, "edns: weights must add up to more than 0");
		for (i = 0; i < p->nedns; i++)
			p->edns_weight[i] /= total;
	}
	if ((x = sim_y_get(n, "tcp")) && (rc = frac(x, &p->tcp, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "loss"))) {
		if ((rc = sim_y_map(x, loss_keys, ERRARGS)) ||
		    (rc = sim_y_uint(sim_y_get(x, "above"), 65535, &v, ERRARGS)) ||
		    (rc = frac(sim_y_get(x, "probability"), &p->loss, ERRARGS)))
			return rc;
		p->loss_above = (uint16_t)v;
	}
	return 0;
}

int sim_population_parse(const char *yaml, size_t len, const struct sim_timeline *tl,
			 struct sim_population **out, char *errbuf, size_t errlen)
{
	struct fy_document *doc = NULL;
	struct sim_population *pop = NULL;
	struct fy_node *root, *x, *item;
	void *it = NULL;
	double total = 0;
	int rc;

	if (!(pop = calloc(1, sizeof(*pop))))
		return KR_ENOMEM;
	pop->size = 100000;
	if ((rc = sim_y_open(yaml, len, &doc, ERRARGS)))
		goto out;
	root = fy_document_root(doc);
	if ((rc = sim_y_map(root, top_keys, ERRARGS)))
		goto out;
	if ((x = sim_y_get(root, "size")) &&
	    (rc = sim_y_uint(x, 1000000000ULL, &pop->size, ERRARGS)))
		goto out;
	x = sim_y_get(root, "profiles");
	if (!x || !fy_node_is_sequence(x)) {
		rc = sim_y_err(x ? x : root, ERRARGS, "profiles: a list is required");
		goto out;
	}
	while ((item = fy_node_sequence_iterate(x, &it))) {
		if (pop->nprofiles == SIM_MAX_PROFILES) {
			rc = sim_y_err(x, ERRARGS, "more than %d profiles", SIM_MAX_PROFILES);
			goto out;
		}
		if ((rc = parse_profile(item, tl, &pop->profiles[pop->nprofiles], ERRARGS)))
			goto out;
		total += pop->profiles[pop->nprofiles++].weight;
	}
	if (pop->nprofiles == 0 || total <= 0) {
		rc = sim_y_err(x, ERRARGS, "profile weights must add up to more than 0");
		goto out;
	}
	*out = pop;
	pop = NULL; /* transferred */
out:
	sim_y_close(doc);
	free(pop);
	return rc;
}

int sim_population_load(const char *path, const struct sim_timeline *tl,
			struct sim_population **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kr_read_file(path, KR_YAML_MAX_SIZE, &buf, &len)))
		return sim_err(errbuf, errlen, rc, "cannot read %s", path);
	rc = sim_population_parse((const char *)buf, len, tl, out, errbuf, errlen);
	free(buf);
	return rc;
}

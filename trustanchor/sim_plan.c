/*
 * sim_plan.c - rollover plans in YAML (format: docs/simulator.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"
#include "trustanchor/sim_int.h"

static const char *const top_keys[] = {"zone",  "start",   "end",    "ttl",    "signatures",
				       "zsk",   "keys",    "roll",   "initial", "events", NULL};
static const char *const sig_keys[] = {"validity", "interval", "cycle", NULL};
static const char *const zsk_keys[] = {"algorithm", "bits", "count", "roll", NULL};
static const char *const key_keys[] = {"name",        "algorithm",    "bits", "tag", "revoked_tag",
				       "anchor_from", "anchor_until", NULL};
static const char *const roll_keys[] = {"old", "new", NULL};
static const char *const init_keys[] = {"publish", "sign", NULL};
static const char *const event_keys[] = {"date",   "label",  "publish", "sign",
					 "unsign", "revoke", "remove",  "ttl", NULL};

#define ERRARGS errbuf, errlen

static int parse_alg(struct fy_node *n, uint8_t *alg, char *errbuf, size_t errlen)
{
	const char *s;
	int rc;

	if ((rc = sim_y_str(n, &s, ERRARGS)))
		return rc;
	if (kr_alg_from_name(s, alg) != 0 || !kr_alg_name(*alg))
		return sim_y_err(n, ERRARGS, "unknown algorithm '%s'", s);
	return 0;
}

static int parse_key(struct fy_node *n, struct sim_key *k, char *errbuf, size_t errlen)
{
	struct fy_node *x;
	const char *name;
	uint64_t v, bits = 2048;
	unsigned pk, sg;
	int rc;

	memset(k, 0, sizeof(*k));
	k->algorithm = KR_ALG_RSASHA256;
	if ((rc = sim_y_map(n, key_keys, ERRARGS)))
		return rc;
	if ((rc = sim_y_str(sim_y_get(n, "name"), &name, ERRARGS)))
		return rc;
	if (!*name || strlen(name) >= sizeof(k->name) || strchr(name, ',') || strchr(name, '"'))
		return sim_y_err(n, ERRARGS, "key name must be 1-%zu characters without , or \"",
				 sizeof(k->name) - 1);
	strcpy(k->name, name);
	if ((x = sim_y_get(n, "algorithm")) && (rc = parse_alg(x, &k->algorithm, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "bits")) && (rc = sim_y_uint(x, 8192, &bits, ERRARGS)))
		return rc;
	if (sim_alg_lengths(k->algorithm, (unsigned)bits, &pk, &sg) != 0)
		return sim_y_err(n, ERRARGS, "unsupported algorithm/size %u/%llu", k->algorithm,
				 (unsigned long long)bits);
	k->pubkey_len = (uint16_t)pk;
	k->sig_len = (uint16_t)sg;
	if ((x = sim_y_get(n, "tag"))) {
		if ((rc = sim_y_uint(x, 65535, &v, ERRARGS)))
			return rc;
		k->tag = (uint16_t)v;
	}
	/* Setting the REVOKE bit adds 128 to the RFC 4034 key tag sum. */
	v = (uint64_t)k->tag + 128;
	k->tag_revoked = (uint16_t)((v & 0xffff) + (v >> 16));
	if ((x = sim_y_get(n, "revoked_tag"))) {
		if ((rc = sim_y_uint(x, 65535, &v, ERRARGS)))
			return rc;
		k->tag_revoked = (uint16_t)v;
	}
	k->anchor_from = -1; /* filled from the plan if absent */
	if ((x = sim_y_get(n, "anchor_from")) && (rc = sim_y_time(x, &k->anchor_from, ERRARGS)))
		return rc;
	if ((x = sim_y_get(n, "anchor_until")) && (rc = sim_y_time(x, &k->anchor_until, ERRARGS)))
		return rc;
	return 0;
}

static int parse_event(struct fy_node *n, struct sim_spec *s, struct sim_event *e, char *errbuf,
		       size_t errlen)
{
	static const char *const acts[] = {"publish", "sign", "unsign", "revoke", "remove"};
	uint8_t *masks[] = {&e->publish, &e->sign, &e->unsign, &e->revoke, &e->remove};
	struct fy_node *x;
	const char *label;
	int rc, any = 0;

	memset(e, 0, sizeof(*e));
	if ((rc = sim_y_map(n, event_keys, ERRARGS)))
		return rc;
	if ((rc = sim_y_time(sim_y_get(n, "date"), &e->when, ERRARGS)))
		return rc;
	for (size_t i = 0; i < 5; i++)
		if ((x = sim_y_get(n, acts[i]))) {
			if ((rc = sim_y_keys(x, s->keys, s->nkeys, masks[i], ERRARGS)))
				return rc;
			any = 1;
		}
	if ((x = sim_y_get(n, "ttl"))) {
		if ((rc = sim_y_dur(x, &e->ttl, ERRARGS)))
			return rc;
		if (e->ttl <= 0 || e->ttl > 0x7fffffff)
			return sim_y_err(x, ERRARGS, "TTL out of range");
		any = 1;
	}
	if (!any)
		return sim_y_err(n, ERRARGS, "event does nothing");
	if ((x = sim_y_get(n, "label"))) {
		if ((rc = sim_y_str(x, &label, ERRARGS)))
			return rc;
		snprintf(e->label, sizeof(e->label), "%s", label);
	} else {
		const char *verb = e->revoke ? "revoke" : e->remove ? "remove" : e->publish ? "publish"
				   : e->sign ? "sign" : e->unsign ? "unsign" : "TTL";
		uint8_t m = e->revoke ? e->revoke : e->remove ? e->remove : e->publish ? e->publish
			    : e->sign ? e->sign : e->unsign;
		int k = m ? __builtin_ctz(m) : -1;
		snprintf(e->label, sizeof(e->label), "%s%s%s", verb, k >= 0 ? " " : "",
			 k >= 0 ? s->keys[k].name : "");
	}
	return 0;
}

static int cmp_event(const void *a, const void *b)
{
	const struct sim_event *x = a, *y = b;
	return (x->when > y->when) - (x->when < y->when);
}

static int parse_doc(struct fy_node *root, struct sim_spec *s, char *errbuf, size_t errlen)
{
	struct fy_node *x, *item;
	const char *str;
	void *it = NULL;
	uint64_t v;
	int rc;

	if ((rc = sim_y_map(root, top_keys, ERRARGS)))
		return rc;
	if ((x = sim_y_get(root, "zone"))) {
		struct kr_name nm;
		if ((rc = sim_y_str(x, &str, ERRARGS)))
			return rc;
		if (strlen(str) >= sizeof(s->zone) || kr_name_from_str(str, &nm) != 0)
			return sim_y_err(x, ERRARGS, "bad zone name");
		strcpy(s->zone, str);
	}
	if ((rc = sim_y_time(sim_y_get(root, "start"), &s->start, ERRARGS)) ||
	    (rc = sim_y_time(sim_y_get(root, "end"), &s->end, ERRARGS)))
		return rc;
	if ((x = sim_y_get(root, "ttl")) && (rc = sim_y_dur(x, &s->ttl, ERRARGS)))
		return rc;
	if (s->ttl <= 0 || s->ttl > 0x7fffffff)
		return sim_y_err(x, ERRARGS, "TTL out of range");
	if ((x = sim_y_get(root, "signatures"))) {
		struct fy_node *y;
		if ((rc = sim_y_map(x, sig_keys, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "validity")) && (rc = sim_y_dur(y, &s->sig_validity, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "interval")) && (rc = sim_y_dur(y, &s->sig_interval, ERRARGS)))
			return rc;
		if (s->sig_interval < SIM_HOUR || s->sig_validity < SIM_HOUR)
			return sim_y_err(x, ERRARGS, "validity and interval must be at least an hour");
		if ((y = sim_y_get(x, "cycle"))) {
			if ((rc = sim_y_str(y, &str, ERRARGS)))
				return rc;
			if (!strcmp(str, "quarter"))
				s->cycle_quarter = 1;
			else if (strcmp(str, "continuous"))
				return sim_y_err(y, ERRARGS, "cycle is quarter or continuous");
		}
	}
	if ((x = sim_y_get(root, "zsk"))) {
		struct fy_node *y;
		uint64_t bits = s->zsk_bits;
		unsigned pk, sg;
		if ((rc = sim_y_map(x, zsk_keys, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "algorithm")) && (rc = parse_alg(y, &s->zsk_alg, ERRARGS)))
			return rc;
		if ((y = sim_y_get(x, "bits")) && (rc = sim_y_uint(y, 8192, &bits, ERRARGS)))
			return rc;
		s->zsk_bits = (unsigned)bits;
		if (sim_alg_lengths(s->zsk_alg, s->zsk_bits, &pk, &sg) != 0)
			return sim_y_err(x, ERRARGS, "unsupported ZSK algorithm/size");
		if ((y = sim_y_get(x, "count"))) {
			if ((rc = sim_y_uint(y, 4, &v, ERRARGS)))
				return rc;
			s->zsk_count = (unsigned)v;
		}
		if ((y = sim_y_get(x, "roll"))) {
			if ((rc = sim_y_str(y, &str, ERRARGS)))
				return rc;
			if (!strcmp(str, "quarterly"))
				s->zsk_roll_quarterly = 1;
			else if (strcmp(str, "none"))
				return sim_y_err(y, ERRARGS, "roll is quarterly or none");
		}
	}
	if (s->zsk_roll_quarterly && !s->cycle_quarter)
		return sim_y_err(root, ERRARGS, "a quarterly ZSK roll needs signatures.cycle: quarter");

	x = sim_y_get(root, "keys");
	if (!x || !fy_node_is_sequence(x) || fy_node_sequence_item_count(x) < 1)
		return sim_y_err(x ? x : root, ERRARGS, "keys: a list of 1 to %d KSKs is required",
				 SIM_MAX_KSK);
	while ((item = fy_node_sequence_iterate(x, &it))) {
		if (s->nkeys == SIM_MAX_KSK)
			return sim_y_err(x, ERRARGS, "more than %d keys", SIM_MAX_KSK);
		if ((rc = parse_key(item, &s->keys[s->nkeys], ERRARGS)))
			return rc;
		if (sim_spec_key(s, s->keys[s->nkeys].name) >= 0)
			return sim_y_err(item, ERRARGS, "duplicate key name");
		s->nkeys++;
	}
	if ((x = sim_y_get(root, "roll"))) {
		uint8_t m;
		if ((rc = sim_y_map(x, roll_keys, ERRARGS)))
			return rc;
		if (sim_y_get(x, "old")) {
			if ((rc = sim_y_keys(sim_y_get(x, "old"), s->keys, s->nkeys, &m, ERRARGS)))
				return rc;
			s->old_key = __builtin_ctz(m);
		}
		if (sim_y_get(x, "new")) {
			if ((rc = sim_y_keys(sim_y_get(x, "new"), s->keys, s->nkeys, &m, ERRARGS)))
				return rc;
			s->new_key = __builtin_ctz(m);
		}
	}
	x = sim_y_get(root, "initial");
	if (!x)
		return sim_y_err(root, ERRARGS, "initial: {publish, sign} is required");
	if ((rc = sim_y_map(x, init_keys, ERRARGS)) ||
	    (rc = sim_y_keys(sim_y_get(x, "publish"), s->keys, s->nkeys, &s->init_publish, ERRARGS)) ||
	    (rc = sim_y_keys(sim_y_get(x, "sign"), s->keys, s->nkeys, &s->init_sign, ERRARGS)))
		return rc;
	if (s->init_sign & ~s->init_publish)
		return sim_y_err(x, ERRARGS, "a signing key must be published");
	if ((x = sim_y_get(root, "events"))) {
		if (!fy_node_is_sequence(x))
			return sim_y_err(x, ERRARGS, "events: expected a list");
		it = NULL;
		while ((item = fy_node_sequence_iterate(x, &it))) {
			if (s->nevents == SIM_MAX_EVENTS)
				return sim_y_err(x, ERRARGS, "more than %d events", SIM_MAX_EVENTS);
			if ((rc = parse_event(item, s, &s->events[s->nevents], ERRARGS)))
				return rc;
			if (s->events[s->nevents].when < s->start ||
			    s->events[s->nevents].when >= s->end)
				return sim_y_err(item, ERRARGS, "event outside [start, end)");
			s->nevents++;
		}
	}
	/* stable: events on the same date keep the plan's order */
	for (size_t i = 1; i < s->nevents; i++)
		for (size_t j = i; j > 0 && cmp_event(&s->events[j - 1], &s->events[j]) > 0; j--) {
			struct sim_event t = s->events[j];
			s->events[j] = s->events[j - 1];
			s->events[j - 1] = t;
		}
	/* Vendors ship a key from its publication unless the plan says otherwise;
	 * keys in the zone from the start are taken as shipped long before. */
	for (size_t k = 0; k < s->nkeys; k++) {
		if (s->keys[k].anchor_from >= 0)
			continue;
		s->keys[k].anchor_from = (s->init_publish & (1u << k)) ? 0 : s->end;
		for (size_t i = 0; i < s->nevents; i++)
			if (s->events[i].publish & (1u << k)) {
				s->keys[k].anchor_from = s->events[i].when;
				break;
			}
	}
	return 0;
}

int sim_plan_parse(const char *yaml, size_t len, struct sim_timeline **out, char *errbuf,
		   size_t errlen)
{
	struct fy_document *doc = NULL;
	struct sim_spec *s = NULL;
	int rc;

	if (!(s = malloc(sizeof(*s))))
		return KR_ENOMEM;
	sim_spec_init(s);
	snprintf(s->source, sizeof(s->source), "plan");
	if ((rc = sim_y_open(yaml, len, &doc, ERRARGS)))
		goto out;
	if ((rc = parse_doc(fy_document_root(doc), s, ERRARGS)))
		goto out;
	rc = sim_timeline_build(s, out, ERRARGS);
out:
	sim_y_close(doc);
	free(s);
	return rc;
}

int sim_plan_load(const char *path, struct sim_timeline **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kr_read_file(path, KR_YAML_MAX_SIZE, &buf, &len)))
		return sim_err(errbuf, errlen, rc, "cannot read %s", path);
	rc = sim_plan_parse((const char *)buf, len, out, errbuf, errlen);
	if (rc == 0)
		snprintf((*out)->source, sizeof((*out)->source), "plan %.58s", path);
	free(buf);
	return rc;
}

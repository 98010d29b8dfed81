/*
 * sim_int.h - internals shared by the simulator's source files (not used
 * outside trustanchor/sim*.c and their tests).
 */
#ifndef KR_SIM_INT_H
#define KR_SIM_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "trustanchor/sim.h"

/* A plan before it becomes segments: what sim_plan.c and the presets fill
 * and sim_timeline_build() turns into a timeline. */
struct sim_spec {
	char zone[256];
	size_t nkeys;
	struct sim_key keys[SIM_MAX_KSK];
	uint8_t zsk_alg;
	unsigned zsk_bits;
	unsigned zsk_count;     /* ZSKs normally published */
	int zsk_roll_quarterly; /* one more ZSK from the last slot of a quarter to slot 2 of the next */
	int64_t ttl;
	int64_t sig_validity, sig_interval;
	int cycle_quarter;      /* signing slots restart on 1 Jan/Apr/Jul/Oct */
	int64_t start, end;
	uint8_t init_publish, init_sign;
	int old_key, new_key;   /* -1: infer */
	size_t nevents;
	struct sim_event events[SIM_MAX_EVENTS];
	char source[64];
};

void sim_spec_init(struct sim_spec *s);
/* Check the events against each other and build the segments. */
int sim_timeline_build(const struct sim_spec *s, struct sim_timeline **out, char *errbuf,
		       size_t errlen);
/* Key index by name, or -1. */
int sim_spec_key(const struct sim_spec *s, const char *name);
/* Assign behavior ids, response sizes stay as set; used by every builder. */
void sim_timeline_finish(struct sim_timeline *tl);

/* snprintf into errbuf (NULL-safe); returns rc. */
int sim_err(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Start of the calendar quarter holding t / the next one. */
int64_t sim_quarter_start(int64_t t);
int64_t sim_quarter_next(int64_t t);

/* ---- YAML helpers (libfyaml), shared by the plan and population parsers */

struct fy_document;
struct fy_node;

/* Parse a YAML document (aliases and tags refused later, per node). */
int sim_y_open(const char *yaml, size_t len, struct fy_document **doc, char *errbuf, size_t errlen);
/* "<path>: message" into errbuf; returns KR_EMALFORMED. */
int sim_y_err(struct fy_node *n, char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* n must be a mapping whose keys are all in allowed (NULL-terminated). */
int sim_y_map(struct fy_node *n, const char *const *allowed, char *errbuf, size_t errlen);
/* Child of a mapping, or NULL. */
struct fy_node *sim_y_get(struct fy_node *map, const char *key);
/* Plain scalar text (NUL-terminated, owned by the document), or an error. */
int sim_y_str(struct fy_node *n, const char **s, char *errbuf, size_t errlen);
int sim_y_time(struct fy_node *n, int64_t *t, char *errbuf, size_t errlen);
/* ISO 8601 duration or seconds */
int sim_y_dur(struct fy_node *n, int64_t *secs, char *errbuf, size_t errlen);
int sim_y_uint(struct fy_node *n, uint64_t max, uint64_t *v, char *errbuf, size_t errlen);
int sim_y_double(struct fy_node *n, double lo, double hi, double *v, char *errbuf, size_t errlen);
int sim_y_bool(struct fy_node *n, int *v, char *errbuf, size_t errlen);
/* A key name or a sequence of key names of tl/spec keys -> mask. */
int sim_y_keys(struct fy_node *n, const struct sim_key *keys, size_t nkeys, uint8_t *mask,
	       char *errbuf, size_t errlen);
void sim_y_close(struct fy_document *doc);

#endif

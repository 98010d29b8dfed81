/*
 * sim.h - the RFC 5011 rollover simulator behind `keyroll-trustanchor
 * simulate` and `lint`.
 *
 * Three parts:
 *   - a timeline: the DNSKEY RRset of the zone as a sequence of segments in
 *     which nothing changes (keys, REVOKE bits, signers, TTL, RRSIG validity,
 *     response size), built from a YAML plan, a preset or SKR files;
 *   - a population: validator profiles (Unbound, BIND, Knot Resolver, plain
 *     RFC 5011, static anchors) with weights and parameter distributions;
 *     every validator's parameters are a pure function of (seed, id);
 *   - an engine that runs the RFC 5011 state machine of each validator over
 *     the timeline, either probe by probe (exact) or jumping over probes that
 *     cannot change anything (fast), and counts validators per class.
 *
 * Nothing here prints or exits; functions return 0 or a negative KR_E* code
 * and explain input errors in errbuf.  Times are int64_t seconds since the
 * epoch, UTC.
 */
#ifndef KR_SIM_H
#define KR_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_KSK 8      /* KSKs a timeline may hold (trust-anchor candidates) */
#define SIM_MAX_EVENTS 256 /* plan events */
#define SIM_MAX_PROFILES 32
#define SIM_MAX_SEGS 65534  /* segments of a timeline (a validator's cursor is 16 bits) */
#define SIM_NAME_MAX 32

#define SIM_HOUR 3600
#define SIM_DAY 86400

/* ---- timeline ------------------------------------------------------- */

struct sim_key {
	char name[SIM_NAME_MAX]; /* "KSK-2017" */
	uint16_t tag;            /* key tag with flags 257 */
	uint16_t tag_revoked;    /* key tag with flags 385 */
	uint8_t algorithm;
	uint16_t pubkey_len; /* DNSKEY public key field length */
	uint16_t sig_len;    /* RRSIG signature length */
	/* Vendors ship this key as a trust anchor for images built in
	 * [anchor_from, anchor_until); anchor_until 0 = open. */
	int64_t anchor_from, anchor_until;
};

/* One interval [start, next segment's start) of constant DNSKEY content.
 * Masks are over the timeline's KSK indices. */
struct sim_seg {
	int64_t start;
	uint8_t present;  /* published with flags 257 */
	uint8_t revoked;  /* published with the REVOKE bit (385) */
	uint8_t signers;  /* sign the RRset with their unrevoked form */
	uint8_t rsigners; /* revoked keys that sign the RRset (self-signature) */
	uint8_t nzsk;     /* ZSKs published (response size only) */
	uint8_t sigs_valid; /* every RRSIG is inside its validity period */
	uint16_t size;    /* DNSKEY response: header, question, RRset, RRSIGs, OPT */
	uint32_t ttl;     /* DNSKEY TTL = RRSIG original TTL */
	int64_t sig_inception, sig_expiration;
	uint16_t behavior; /* equal for adjacent segments that differ only in RRSIG times */
};

enum sim_action {
	SIM_ACT_PUBLISH = 1,
	SIM_ACT_SIGN,
	SIM_ACT_UNSIGN,
	SIM_ACT_REVOKE,
	SIM_ACT_REMOVE,
	SIM_ACT_TTL,
};

struct sim_event {
	int64_t when;
	char label[64];          /* "roll", "revoke KSK-2017", from the plan */
	uint8_t publish, sign, unsign, revoke, remove; /* KSK masks */
	int64_t ttl;             /* > 0: new DNSKEY TTL */
};

struct sim_timeline {
	char zone[256];          /* presentation form, "." */
	uint8_t zone_wire_len;   /* owner name length on the wire */
	size_t nkeys;
	struct sim_key keys[SIM_MAX_KSK];
	int old_key, new_key;    /* indices for the classes (-1 if none) */
	int64_t start, end;      /* the timeline covers [start, end) */
	size_t nsegs;
	struct sim_seg *segs;    /* owned */
	size_t nevents;
	struct sim_event events[SIM_MAX_EVENTS];
	int64_t sig_validity;    /* longest RRSIG validity seen */
	char source[64];         /* "plan FILE", "preset root-2018", "SKR" */
};

void sim_timeline_free(struct sim_timeline *tl);

/* Index of the segment holding t (t < start: 0; t >= end: last). */
size_t sim_timeline_find(const struct sim_timeline *tl, int64_t t);

/* DNSKEY response size for owner name length owner_len (wire), n DNSKEYs
 * with the given public key lengths and RRSIGs with the given signature
 * lengths, with an OPT record (RFC 6891) and no other options. */
unsigned sim_response_size(unsigned owner_len, const unsigned *pubkey_lens, size_t nkeys,
			   const unsigned *sig_lens, size_t nsigs);
/* DNSKEY public key / RRSIG signature lengths for an algorithm and size
 * (RSA bits, or 0 for the fixed-size algorithms).  KR_EALG if unknown. */
int sim_alg_lengths(uint8_t alg, unsigned bits, unsigned *pubkey_len, unsigned *sig_len);

/* ---- plan (YAML) and presets ----------------------------------------- */

/* Build a timeline from a YAML plan (docs/simulator.md).  Unknown keys, bad
 * dates and inconsistent events are KR_EMALFORMED with errbuf naming the
 * node and line. */
int sim_plan_load(const char *path, struct sim_timeline **out, char *errbuf, size_t errlen);
int sim_plan_parse(const char *yaml, size_t len, struct sim_timeline **out, char *errbuf,
		   size_t errlen);

/* Built-in plans: "root-2018" (KSK-2010 -> KSK-2017) and "root-2026"
 * (KSK-2017 -> KSK-2024).  KR_ENOTFOUND for other names. */
int sim_preset(const char *name, struct sim_timeline **out, char *errbuf, size_t errlen);
/* Names of the presets, NULL-terminated. */
extern const char *const sim_preset_names[];

/* Timeline from SKR files in time order (their bundles joined). */
int sim_skr_load(const char *const *paths, size_t npaths, struct sim_timeline **out,
		 char *errbuf, size_t errlen);

/* ---- validator profiles and population ------------------------------ */

enum sim_impl {
	SIM_IMPL_RFC5011 = 0, /* RFC 5011 as written */
	SIM_IMPL_UNBOUND,
	SIM_IMPL_BIND,
	SIM_IMPL_KNOT,
	SIM_IMPL_STATIC, /* configured anchors, never updated */
};

/* A value drawn uniformly from [lo, hi] (lo == hi: fixed). */
struct sim_range {
	int64_t lo, hi;
};

struct sim_profile {
	char name[SIM_NAME_MAX];
	enum sim_impl impl;
	double weight;
	/* RFC 5011 timers (seconds) */
	int64_t add_holddown;  /* 30 d; the effective value is max(this, TTL) */
	int64_t del_holddown;  /* remove hold-down, 30 d */
	int64_t keep_missing;  /* 0 = keep Missing keys forever */
	int64_t refresh_min, refresh_max, retry_min, retry_max; /* 1h/15d, 1h/1d */
	int use_sig_expiry;    /* the SigExpirationRemaining terms (Knot: no) */
	double jitter;         /* probe at (1 - jitter .. 1) x interval (Unbound 0.1) */
	unsigned pending_min;  /* validated observations before AddPend -> Valid */
	int pending_missing_restart; /* BIND: a pending key seen missing restarts its timer */
	int persist;           /* 0: state lost on restart (shipped anchors again) */
	uint32_t algorithms;   /* bit n: algorithm n supported (n < 32) */
	double signal_8145, sentinel_8509; /* fraction that signal / answer */
	/* population parameters */
	int anchors_auto;      /* ship the anchors current at the image date */
	uint8_t anchors;       /* else: this KSK mask */
	struct sim_range install;   /* install time (absolute) */
	struct sim_range image_age; /* seconds before install */
	double restart_fraction;
	struct sim_range restart_every;
	double offline_fraction;
	struct sim_range offline_at, offline_for;
	size_t nedns;
	uint16_t edns[8];
	double edns_weight[8];
	double tcp;            /* fraction whose TCP fallback works */
	uint16_t loss_above;   /* responses larger than this ... */
	double loss;           /* ... are lost with this probability per fetch */
};

struct sim_population {
	uint64_t size;
	size_t nprofiles;
	struct sim_profile profiles[SIM_MAX_PROFILES];
};

/* Defaults of an implementation (DESIGN.md, docs/simulator.md). */
void sim_profile_defaults(struct sim_profile *p, enum sim_impl impl);
int sim_population_load(const char *path, const struct sim_timeline *tl,
			struct sim_population **out, char *errbuf, size_t errlen);
int sim_population_parse(const char *yaml, size_t len, const struct sim_timeline *tl,
			 struct sim_population **out, char *errbuf, size_t errlen);
/* The built-in mix (docs/simulator.md) for timeline tl. */
int sim_population_default(const struct sim_timeline *tl, struct sim_population **out);
void sim_population_free(struct sim_population *pop);

/* ---- RFC 5011 timers --------------------------------------------------- */

/* max(refresh_min, min(refresh_max, ttl/2, sig_remaining/2)); the sig term
 * only if use_sig. */
int64_t sim_refresh_interval(const struct sim_profile *p, int64_t ttl, int64_t sig_remaining);
/* max(retry_min, min(retry_max, ttl/10, sig_remaining/10)) */
int64_t sim_retry_interval(const struct sim_profile *p, int64_t ttl, int64_t sig_remaining);
/* max(add_holddown, ttl) */
int64_t sim_add_holddown(const struct sim_profile *p, int64_t ttl);

/* ---- per-validator state ------------------------------------------------ */

enum sim_kstate {
	SIM_K_START = 0, /* unknown */
	SIM_K_ADDPEND,
	SIM_K_VALID,
	SIM_K_MISSING,
	SIM_K_REVOKED,
	SIM_K_REMOVED,
};

enum sim_class {
	SIM_C_OLD = 0,  /* trusts only the old key(s) */
	SIM_C_NEW,      /* trusts the new key */
	SIM_C_PENDING,  /* the new key is in AddPend */
	SIM_C_FAILING,  /* bogus / SERVFAIL */
	SIM_C_INSECURE, /* no usable anchor left (all revoked / unsupported) */
	SIM_C_OFFLINE,
	SIM_NCLASSES,
	SIM_C_NONE = 255, /* not installed yet */
};
extern const char *const sim_class_names[SIM_NCLASSES];

/* Everything a validator carries between events: at most 64 bytes.  Times
 * are seconds since the run's epoch. */
struct sim_vstate {
	uint32_t ktime[SIM_MAX_KSK]; /* timer reference of each key */
	uint8_t kstate[SIM_MAX_KSK]; /* enum sim_kstate | observations << 4 */
	uint32_t anchor;             /* probe grid: origin ... */
	uint32_t step;               /* ... spacing (refresh or retry) ... */
	uint32_t n;                  /* ... and index of the next probe ... */
	uint32_t next;               /* ... at this time */
	uint32_t restart_n;          /* restarts done */
	uint8_t cls;                 /* enum sim_class now */
	uint8_t flags;               /* SIM_VF_* */
	uint16_t seg;                /* segment cursor */
};

/* What tests compare between the exact and the fast engine. */
struct sim_outcome {
	uint8_t kstate[SIM_MAX_KSK];
	uint32_t ktime[SIM_MAX_KSK];
	uint32_t first_fail;   /* first failed validation + 1 (0 = never) */
	uint32_t new_valid;    /* new key became Valid + 1 (0 = never) */
	uint32_t changes;      /* state transitions */
	uint8_t cls;           /* class at the end */
};

/* ---- engine -------------------------------------------------------------- */

typedef void (*sim_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct sim_options {
	uint64_t seed;
	uint64_t validators;   /* 0: the population's size */
	int64_t from, to;      /* run window; 0: the timeline's */
	int64_t step;          /* output sample spacing (default 1 h) */
	int exact;             /* reference engine: every probe through an event queue */
	unsigned threads;      /* fast engine; 0 = online CPUs */
	sim_progress_fn progress;
	void *progress_ctx;
	struct sim_outcome *outcomes; /* optional: one per validator */
};

/* Time series: counts[sample][class], and for RFC 8145 / 8509 per KSK mask. */
struct sim_result {
	int64_t t0, step;
	size_t nsamples;
	uint64_t validators;
	uint32_t *counts;    /* nsamples x SIM_NCLASSES */
	size_t nmasks;       /* 1 << nkeys */
	uint32_t *signals;   /* nsamples x nmasks: 8145 key-tag sets seen by the root */
	uint32_t *sentinels; /* nsamples x nmasks: 8509 responders by anchor set */
	uint64_t total_events; /* events processed (probes, restarts, ...) */
};

int sim_run(const struct sim_timeline *tl, const struct sim_population *pop,
	    const struct sim_options *opt, struct sim_result **out);
void sim_result_free(struct sim_result *r);

/* ---- lint ----------------------------------------------------------------- */

enum sim_severity { SIM_INFO = 0, SIM_WARNING, SIM_ERROR };

struct sim_finding {
	int64_t when;
	enum sim_severity severity;
	char check[32]; /* "ADD-WAIT", "REVOKE-SELFSIGN", ... */
	char reason[320];
};

/* Earliest safe date for a step of the plan. */
struct sim_step_safety {
	int64_t planned;
	int64_t earliest; /* 0 if no constraint applies */
	char what[96];
};

struct sim_lint {
	size_t nfindings;
	struct sim_finding *findings; /* owned */
	size_t nsteps;
	struct sim_step_safety *steps; /* owned */
	int errors, warnings;
};

struct sim_lint_options {
	unsigned max_size;     /* error above (default 1452) */
	unsigned warn_size;    /* warning above (default 1232) */
	int64_t add_holddown;  /* 30 d */
	int64_t del_holddown;  /* 30 d */
};

void sim_lint_defaults(struct sim_lint_options *o);
int sim_lint_run(const struct sim_timeline *tl, const struct sim_lint_options *o,
		 struct sim_lint **out);
void sim_lint_free(struct sim_lint *l);

#endif

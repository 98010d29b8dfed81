/*
 * sim_out.h - summaries, time series and reports of a simulation.
 * Writers take an open stream (an atomic file from lib/fileio.h) and return
 * KR_ESYS if it went bad.
 */
#ifndef KR_SIM_OUT_H
#define KR_SIM_OUT_H

#include <stdio.h>

#include "trustanchor/sim.h"

struct sim_event_summary {
	const struct sim_event *event;
	double failing_day1;   /* failing fraction of online validators one day after */
	double insecure_day1;
	double failing_peak;   /* the worst until the next event */
	/* one day after: share of RFC 8145 signals / RFC 8509 sentinel
	 * responders that include the new key (what the operator can see) */
	double signal_new_day1, sentinel_new_day1;
	int64_t failing_peak_at;
	int64_t earliest_safe; /* from lint; 0 = no constraint */
};

struct sim_summary {
	size_t nevents;
	struct sim_event_summary events[SIM_MAX_EVENTS];
	int64_t published; /* the new key's publication (the start if it was there from the start) */
	int64_t uptake[3]; /* 50, 90, 99 % of online validators trust the new key; 0 = never */
	double final_failing, final_insecure;
};

int sim_summarize(const struct sim_timeline *tl, const struct sim_result *r,
		  const struct sim_lint *lint, struct sim_summary *out);

int sim_write_csv(FILE *f, const struct sim_timeline *tl, const struct sim_result *r);
int sim_write_series_json(FILE *f, const struct sim_timeline *tl, const struct sim_result *r);
void sim_write_lint_text(FILE *f, const struct sim_lint *l);
void sim_write_lint_json(FILE *f, const struct sim_lint *l);
void sim_write_summary_text(FILE *f, const struct sim_timeline *tl, const struct sim_result *r,
			    const struct sim_lint *l, const struct sim_summary *s);
void sim_write_summary_json(FILE *f, const struct sim_timeline *tl, const struct sim_result *r,
			    const struct sim_lint *l, const struct sim_summary *s);

/* The HTML report with a gnuplot chart into dir (created if missing). */
int sim_write_report(const char *dir, const struct sim_timeline *tl, const struct sim_result *r,
		     const struct sim_lint *l, const struct sim_summary *s, char *errbuf,
		     size_t errlen);

#endif

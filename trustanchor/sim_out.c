/*
 * sim_out.c - what a simulation says: the summary (failures at each plan
 * event, uptake of the new key, earliest safe dates) and the time series as
 * CSV and JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_out.h"

static const uint32_t *row(const struct sim_result *r, size_t s)
{
	return &r->counts[s * SIM_NCLASSES];
}

static uint64_t online_at(const struct sim_result *r, size_t s)
{
	uint64_t n = 0;

	for (int c = 0; c < SIM_NCLASSES; c++)
		if (c != SIM_C_OFFLINE)
			n += row(r, s)[c];
	return n;
}

static double frac_at(const struct sim_result *r, size_t s, int cls)
{
	uint64_t n = online_at(r, s);
	return n ? (double)row(r, s)[cls] / (double)n : 0;
}

/* Share of the validators counted in arr (per anchor set) at sample s whose
 * anchors include key k. */
static double with_key(const struct sim_result *r, const uint32_t *arr, size_t s, int k)
{
	uint64_t all = 0, with = 0;

	for (size_t m = 1; m < r->nmasks; m++) {
		all += arr[s * r->nmasks + m];
		if (k >= 0 && (m & (1u << k)))
			with += arr[s * r->nmasks + m];
	}
	return all ? (double)with / (double)all : 0;
}

static size_t sample_of(const struct sim_result *r, int64_t t)
{
	int64_t s;

	if (t <= r->t0)
		return 0;
	s = (t - r->t0 + r->step - 1) / r->step;
	return s >= (int64_t)r->nsamples ? r->nsamples - 1 : (size_t)s;
}

int sim_summarize(const struct sim_timeline *tl, const struct sim_result *r,
		  const struct sim_lint *lint, struct sim_summary *out)
{
	int64_t published = tl->start;

	memset(out, 0, sizeof(*out));
	if (!r->nsamples)
		return KR_EINVAL;
	for (size_t i = 0; i < tl->nevents && out->nevents < SIM_MAX_EVENTS; i++) {
		const struct sim_event *e = &tl->events[i];
		struct sim_event_summary *es = &out->events[out->nevents];
		int64_t until = i + 1 < tl->nevents ? tl->events[i + 1].when : tl->end;
		size_t a, b;

		if (e->when < r->t0 || e->when >= r->t0 + (int64_t)r->nsamples * r->step)
			continue;
		out->nevents++;
		es->event = e;
		a = sample_of(r, e->when + SIM_DAY);
		es->failing_day1 = frac_at(r, a, SIM_C_FAILING);
		es->insecure_day1 = frac_at(r, a, SIM_C_INSECURE);
		es->signal_new_day1 = with_key(r, r->signals, a, tl->new_key);
		es->sentinel_new_day1 = with_key(r, r->sentinels, a, tl->new_key);
		b = sample_of(r, until);
		for (size_t s = sample_of(r, e->when); s < b || (s == b && b == r->nsamples - 1); s++) {
			double f = frac_at(r, s, SIM_C_FAILING);
			if (f > es->failing_peak) {
				es->failing_peak = f;
				es->failing_peak_at = r->t0 + (int64_t)s * r->step;
			}
		}
		for (size_t k = 0; lint && k < lint->nsteps; k++)
			if (lint->steps[k].planned == e->when &&
			    !strcmp(lint->steps[k].what, e->label))
				es->earliest_safe = lint->steps[k].earliest;
		if (tl->new_key >= 0 && (e->publish & (1u << tl->new_key)))
			published = e->when;
	}
	/* uptake of the new key among online validators, from its publication */
	{
		static const double levels[3] = {0.5, 0.9, 0.99};
		for (size_t s = sample_of(r, published); s < r->nsamples && tl->new_key >= 0; s++) {
			double f = frac_at(r, s, SIM_C_NEW);
			for (int k = 0; k < 3; k++)
				if (!out->uptake[k] && f >= levels[k])
					out->uptake[k] = r->t0 + (int64_t)s * r->step;
		}
	}
	out->published = published;
	out->final_failing = frac_at(r, r->nsamples - 1, SIM_C_FAILING);
	out->final_insecure = frac_at(r, r->nsamples - 1, SIM_C_INSECURE);
	return 0;
}

static void date(int64_t t, char *buf, size_t size)
{
	if (!t) {
		snprintf(buf, size, "-");
		return;
	}
	kr_time_format(t, buf, size);
}

/* RFC 8145 QNAME label of an anchor set: _ta-xxxx-yyyy, tags ascending. */
static void ta_label(const struct sim_timeline *tl, size_t mask, char *buf, size_t size)
{
	uint16_t tags[SIM_MAX_KSK];
	size_t n = 0, off;

	for (size_t k = 0; k < tl->nkeys; k++)
		if (mask & (1u << k))
			tags[n++] = tl->keys[k].tag;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && tags[j - 1] > tags[j]; j--) {
			uint16_t t = tags[j];
			tags[j] = tags[j - 1];
			tags[j - 1] = t;
		}
	off = (size_t)snprintf(buf, size, "_ta");
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "-%04x", tags[i]);
}

static int mask_used(const struct sim_result *r, const uint32_t *arr, size_t m)
{
	for (size_t s = 0; s < r->nsamples; s++)
		if (arr[s * r->nmasks + m])
			return 1;
	return 0;
}

/* validators answering root-key-sentinel-is-ta-<tag> positively */
static uint64_t sentinel_is_ta(const struct sim_result *r, size_t s, size_t k)
{
	uint64_t n = 0;

	for (size_t m = 1; m < r->nmasks; m++)
		if (m & (1u << k))
			n += r->sentinels[s * r->nmasks + m];
	return n;
}

static uint64_t sentinel_total(const struct sim_result *r, size_t s)
{
	uint64_t n = 0;

	for (size_t m = 1; m < r->nmasks; m++)
		n += r->sentinels[s * r->nmasks + m];
	return n;
}

int sim_write_csv(FILE *f, const struct sim_timeline *tl, const struct sim_result *r)
{
	char buf[64], lab[64];

	fprintf(f, "time,installed");
	for (int c = 0; c < SIM_NCLASSES; c++)
		fprintf(f, ",%s", sim_class_names[c]);
	for (size_t m = 1; m < r->nmasks; m++)
		if (mask_used(r, r->signals, m)) {
			ta_label(tl, m, lab, sizeof(lab));
			fprintf(f, ",signal%s", lab);
		}
	fprintf(f, ",sentinel_validators");
	for (size_t k = 0; k < tl->nkeys; k++)
		fprintf(f, ",sentinel_is_ta_%u", tl->keys[k].tag);
	fprintf(f, "\n");
	for (size_t s = 0; s < r->nsamples; s++) {
		uint64_t total = 0;
		for (int c = 0; c < SIM_NCLASSES; c++)
			total += row(r, s)[c];
		kr_time_format(r->t0 + (int64_t)s * r->step, buf, sizeof(buf));
		fprintf(f, "%s,%llu", buf, (unsigned long long)total);
		for (int c = 0; c < SIM_NCLASSES; c++)
			fprintf(f, ",%u", row(r, s)[c]);
		for (size_t m = 1; m < r->nmasks; m++)
			if (mask_used(r, r->signals, m))
				fprintf(f, ",%u", r->signals[s * r->nmasks + m]);
		fprintf(f, ",%llu", (unsigned long long)sentinel_total(r, s));
		for (size_t k = 0; k < tl->nkeys; k++)
			fprintf(f, ",%llu", (unsigned long long)sentinel_is_ta(r, s, k));
		fprintf(f, "\n");
	}
	return ferror(f) ? KR_ESYS : 0;
}

/* JSON string with the characters plan labels may hold escaped. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int sim_write_series_json(FILE *f, const struct sim_timeline *tl, const struct sim_result *r)
{
	char buf[64], lab[64];
	int first = 1;

	fprintf(f, "{\"start\":");
	kr_time_format(r->t0, buf, sizeof(buf));
	jstr(f, buf);
	fprintf(f, ",\"step\":%lld,\"validators\":%llu,\"classes\":{", (long long)r->step,
		(unsigned long long)r->validators);
	for (int c = 0; c < SIM_NCLASSES; c++) {
		fprintf(f, "%s\"%s\":[", c ? "," : "", sim_class_names[c]);
		for (size_t s = 0; s < r->nsamples; s++)
			fprintf(f, "%s%u", s ? "," : "", row(r, s)[c]);
		fprintf(f, "]");
	}
	fprintf(f, "},\"rfc8145_signals\":{");
	for (size_t m = 1; m < r->nmasks; m++) {
		if (!mask_used(r, r->signals, m))
			continue;
		ta_label(tl, m, lab, sizeof(lab));
		fprintf(f, "%s\"%s\":[", first ? "" : ",", lab);
		first = 0;
		for (size_t s = 0; s < r->nsamples; s++)
			fprintf(f, "%s%u", s ? "," : "", r->signals[s * r->nmasks + m]);
		fprintf(f, "]");
	}
	fprintf(f, "},\"rfc8509_sentinel\":{\"validators\":[");
	for (size_t s = 0; s < r->nsamples; s++)
		fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)sentinel_total(r, s));
	fprintf(f, "]");
	for (size_t k = 0; k < tl->nkeys; k++) {
		fprintf(f, ",\"is_ta_%u\":[", tl->keys[k].tag);
		for (size_t s = 0; s < r->nsamples; s++)
			fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)sentinel_is_ta(r, s, k));
		fprintf(f, "]");
	}
	fprintf(f, "}}\n");
	return ferror(f) ? KR_ESYS : 0;
}

static const char *sev_name(enum sim_severity s)
{
	return s == SIM_ERROR ? "error" : s == SIM_WARNING ? "warning" : "info";
}

void sim_write_lint_text(FILE *f, const struct sim_lint *l)
{
	char d[32];

	for (size_t i = 0; i < l->nfindings; i++) {
		const struct sim_finding *x = &l->findings[i];
		kr_time_format(x->when, d, sizeof(d));
		fprintf(f, "%s  %-7s  %-16s %s\n", d, sev_name(x->severity), x->check, x->reason);
	}
	fprintf(f, "lint: %d error%s, %d warning%s\n", l->errors, l->errors == 1 ? "" : "s",
		l->warnings, l->warnings == 1 ? "" : "s");
}

static void lint_json(FILE *f, const struct sim_lint *l)
{
	char d[32];

	fprintf(f, "{\"errors\":%d,\"warnings\":%d,\"findings\":[", l->errors, l->warnings);
	for (size_t i = 0; i < l->nfindings; i++) {
		const struct sim_finding *x = &l->findings[i];
		kr_time_format(x->when, d, sizeof(d));
		fprintf(f, "%s{\"date\":\"%s\",\"severity\":\"%s\",\"check\":", i ? "," : "", d,
			sev_name(x->severity));
		jstr(f, x->check);
		fprintf(f, ",\"reason\":");
		jstr(f, x->reason);
		fprintf(f, "}");
	}
	fprintf(f, "],\"steps\":[");
	for (size_t i = 0; i < l->nsteps; i++) {
		fprintf(f, "%s{\"step\":", i ? "," : "");
		jstr(f, l->steps[i].what);
		kr_time_format(l->steps[i].planned, d, sizeof(d));
		fprintf(f, ",\"planned\":\"%s\",\"earliest_safe\":", d);
		if (l->steps[i].earliest) {
			kr_time_format(l->steps[i].earliest, d, sizeof(d));
			fprintf(f, "\"%s\"}", d);
		} else {
			fprintf(f, "null}");
		}
	}
	fprintf(f, "]}");
}

void sim_write_lint_json(FILE *f, const struct sim_lint *l)
{
	lint_json(f, l);
	fprintf(f, "\n");
}

void sim_write_summary_text(FILE *f, const struct sim_timeline *tl, const struct sim_result *r,
			    const struct sim_lint *l, const struct sim_summary *s)
{
	char d1[32], d2[32];

	kr_time_format(tl->start, d1, sizeof(d1));
	kr_time_format(tl->end, d2, sizeof(d2));
	fprintf(f, "timeline: %s, zone %s, %zu KSKs, %zu segments, %s .. %s\n", tl->source, tl->zone,
		tl->nkeys, tl->nsegs, d1, d2);
	if (tl->old_key >= 0 && tl->new_key >= 0)
		fprintf(f, "roll: %s (%u) -> %s (%u)\n", tl->keys[tl->old_key].name,
			tl->keys[tl->old_key].tag, tl->keys[tl->new_key].name,
			tl->keys[tl->new_key].tag);
	fprintf(f, "validators: %llu, %zu samples every %llds, %llu events\n",
		(unsigned long long)r->validators, r->nsamples, (long long)r->step,
		(unsigned long long)r->total_events);
	sim_write_lint_text(f, l);
	fprintf(f, "%-20s  %-24s %9s %9s %9s %9s %9s  %-20s\n", "event date", "event", "fail+1d",
		"fail-peak", "insec+1d", "8145new", "8509new", "earliest safe");
	for (size_t i = 0; i < s->nevents; i++) {
		const struct sim_event_summary *e = &s->events[i];
		kr_time_format(e->event->when, d1, sizeof(d1));
		date(e->earliest_safe, d2, sizeof(d2));
		fprintf(f, "%-20s  %-24.24s %8.3f%% %8.3f%% %8.3f%% %8.3f%% %8.3f%%  %-20s%s\n", d1,
			e->event->label, 100 * e->failing_day1, 100 * e->failing_peak,
			100 * e->insecure_day1, 100 * e->signal_new_day1, 100 * e->sentinel_new_day1,
			d2, e->earliest_safe > e->event->when ? "  TOO EARLY" : "");
	}
	if (tl->new_key >= 0) {
		static const char *const pct[3] = {"50", "90", "99"};
		fprintf(f, "uptake of %s (of online validators, days after its publication):",
			tl->keys[tl->new_key].name);
		for (int k = 0; k < 3; k++) {
			date(s->uptake[k], d1, sizeof(d1));
			if (s->uptake[k])
				fprintf(f, "%s %s%% %s (%.1f d)", k ? "," : "", pct[k], d1,
					(double)(s->uptake[k] - s->published) / SIM_DAY);
			else
				fprintf(f, "%s %s%% never", k ? "," : "", pct[k]);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "at the end: %.3f%% failing, %.3f%% insecure\n", 100 * s->final_failing,
		100 * s->final_insecure);
}

void sim_write_summary_json(FILE *f, const struct sim_timeline *tl, const struct sim_result *r,
			    const struct sim_lint *l, const struct sim_summary *s)
{
	char d[32];

	fprintf(f, "{\"timeline\":{\"source\":");
	jstr(f, tl->source);
	fprintf(f, ",\"zone\":");
	jstr(f, tl->zone);
	kr_time_format(tl->start, d, sizeof(d));
	fprintf(f, ",\"start\":\"%s\"", d);
	kr_time_format(tl->end, d, sizeof(d));
	fprintf(f, ",\"end\":\"%s\",\"segments\":%zu,\"keys\":[", d, tl->nsegs);
	for (size_t k = 0; k < tl->nkeys; k++) {
		fprintf(f, "%s{\"name\":", k ? "," : "");
		jstr(f, tl->keys[k].name);
		fprintf(f, ",\"tag\":%u,\"revoked_tag\":%u,\"algorithm\":%u}", tl->keys[k].tag,
			tl->keys[k].tag_revoked, tl->keys[k].algorithm);
	}
	fprintf(f, "],\"old\":%d,\"new\":%d},\"validators\":%llu,\"lint\":", tl->old_key, tl->new_key,
		(unsigned long long)r->validators);
	lint_json(f, l);
	fprintf(f, ",\"events\":[");
	for (size_t i = 0; i < s->nevents; i++) {
		const struct sim_event_summary *e = &s->events[i];
		kr_time_format(e->event->when, d, sizeof(d));
		fprintf(f, "%s{\"date\":\"%s\",\"event\":", i ? "," : "", d);
		jstr(f, e->event->label);
		fprintf(f, ",\"failing_after_1d\":%.6f,\"failing_peak\":%.6f,\"insecure_after_1d\":%.6f"
			   ",\"rfc8145_new_after_1d\":%.6f,\"rfc8509_new_after_1d\":%.6f",
			e->failing_day1, e->failing_peak, e->insecure_day1, e->signal_new_day1,
			e->sentinel_new_day1);
		if (e->earliest_safe) {
			kr_time_format(e->earliest_safe, d, sizeof(d));
			fprintf(f, ",\"earliest_safe\":\"%s\"}", d);
		} else {
			fprintf(f, ",\"earliest_safe\":null}");
		}
	}
	fprintf(f, "],\"uptake\":{");
	for (int k = 0; k < 3; k++) {
		static const char *const names[3] = {"p50", "p90", "p99"};
		fprintf(f, "%s\"%s\":", k ? "," : "", names[k]);
		if (s->uptake[k]) {
			kr_time_format(s->uptake[k], d, sizeof(d));
			fprintf(f, "\"%s\"", d);
		} else {
			fprintf(f, "null");
		}
	}
	fprintf(f, "},\"uptake_days\":{");
	for (int k = 0; k < 3; k++) {
		static const char *const names[3] = {"p50", "p90", "p99"};
		fprintf(f, "%s\"%s\":", k ? "," : "", names[k]);
		if (s->uptake[k])
			fprintf(f, "%.3f", (double)(s->uptake[k] - s->published) / SIM_DAY);
		else
			fprintf(f, "null");
	}
	fprintf(f, "},\"final_failing\":%.6f,\"final_insecure\":%.6f}\n", s->final_failing,
		s->final_insecure);
}

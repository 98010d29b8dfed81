/*
 * sim_report.c - the --report DIR page: index.html with the summary table,
 * lint findings and two charts drawn by gnuplot (classes of validators over
 * time with the plan's events marked; the RFC 8145 key-tag signals a root
 * server would see).  gnuplot runs as a child process on a generated script
 * and data file; every file lands atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"
#include "trustanchor/sim_out.h"

/* Stacking order of the chart, bottom up, and colours. */
static const struct {
	int cls;
	const char *colour;
} stack[] = {
	{SIM_C_NEW, "#2e8b57"},     {SIM_C_PENDING, "#e6b422"}, {SIM_C_OLD, "#4682b4"},
	{SIM_C_INSECURE, "#999999"}, {SIM_C_FAILING, "#d62728"}, {SIM_C_OFFLINE, "#dddddd"},
};
#define NSTACK (sizeof(stack) / sizeof(stack[0]))

struct rep {
	const char *dir;
	char *errbuf;
	size_t errlen;
};

static int path_of(const struct rep *r, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", r->dir, name);
	return n < 0 || (size_t)n >= size ? KR_ETOOBIG : 0;
}

typedef void (*body_fn)(FILE *f, const void *arg);

static int write_file(const struct rep *r, const char *name, body_fn fn, const void *arg)
{
	char path[4096];
	struct kr_atomic *a = NULL;
	int rc;

	if ((rc = path_of(r, name, path, sizeof(path))))
		return sim_err(r->errbuf, r->errlen, rc, "path too long");
	if ((rc = kr_atomic_begin(path, 0644, &a)))
		return sim_err(r->errbuf, r->errlen, rc, "%s: %s", path, strerror(errno));
	fn(kr_atomic_stream(a), arg);
	if ((rc = kr_atomic_commit(a)))
		return sim_err(r->errbuf, r->errlen, rc, "%s: %s", path, strerror(errno));
	return 0;
}

struct args {
	const struct sim_timeline *tl;
	const struct sim_result *res;
	const struct sim_lint *lint;
	const struct sim_summary *sum;
	size_t nsig;          /* signal masks drawn */
	size_t sigmask[16];
};

static void chart_data(FILE *f, const void *arg)
{
	const struct args *a = arg;
	const struct sim_result *r = a->res;

	fprintf(f, "# epoch");
	for (size_t i = 0; i < NSTACK; i++)
		fprintf(f, ",cum_%s", sim_class_names[stack[i].cls]);
	for (size_t i = 0; i < a->nsig; i++)
		fprintf(f, ",signal_%zu", a->sigmask[i]);
	fprintf(f, "\n");
	for (size_t s = 0; s < r->nsamples; s++) {
		const uint32_t *row = &r->counts[s * SIM_NCLASSES];
		uint64_t total = 0, cum = 0;
		for (int c = 0; c < SIM_NCLASSES; c++)
			total += row[c];
		fprintf(f, "%lld", (long long)(r->t0 + (int64_t)s * r->step));
		for (size_t i = 0; i < NSTACK; i++) {
			cum += row[stack[i].cls];
			fprintf(f, ",%.4f", total ? 100.0 * (double)cum / (double)total : 0.0);
		}
		for (size_t i = 0; i < a->nsig; i++)
			fprintf(f, ",%u", r->signals[s * r->nmasks + a->sigmask[i]]);
		fprintf(f, "\n");
	}
}

static void gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	fputc('"', f);
}

static void ta_tags(const struct sim_timeline *tl, size_t mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t k = 0; k < tl->nkeys && off < size; k++)
		if (mask & (1u << k))
			off += (size_t)snprintf(buf + off, size - off, "%s%u", off ? " + " : "",
						tl->keys[k].tag);
}

static void chart_script(FILE *f, const void *arg)
{
	const struct args *a = arg;
	const struct sim_timeline *tl = a->tl;
	char lab[96];

	fprintf(f, "set terminal pngcairo size 1280,640 font 'DejaVu Sans,11' noenhanced\n"
		   "set datafile separator ','\n"
		   "set xdata time\nset timefmt '%%s'\nset format x '%%Y-%%m-%%d'\n"
		   "set xtics rotate by -30 nomirror\nset grid ytics\n"
		   "set key outside right top\nset border 3\n"
		   "set output 'classes.png.tmp'\n");
	fprintf(f, "set xrange [%lld:%lld]\n", (long long)a->res->t0,
		(long long)(a->res->t0 + (int64_t)(a->res->nsamples - 1) * a->res->step));
	fprintf(f, "set title ");
	gp_string(f, tl->source);
	fprintf(f, "\nset ylabel 'validators (%%)'\nset yrange [0:100]\n");
	for (size_t i = 0; i < tl->nevents; i++) {
		const struct sim_event *e = &tl->events[i];
		if (e->when < a->res->t0 || e->when >= a->res->t0 + (int64_t)a->res->nsamples * a->res->step)
			continue;
		fprintf(f, "set arrow from %lld, graph 0 to %lld, graph 1 nohead dt 2 lw 1.5 lc rgb '#222222' front\n",
			(long long)e->when, (long long)e->when);
		fprintf(f, "set label ");
		gp_string(f, e->label);
		fprintf(f, " at %lld, graph 0.97 rotate by 90 right offset -1.2,0 font ',9' front\n",
			(long long)e->when);
	}
	fprintf(f, "plot ");
	for (size_t i = 0; i < NSTACK; i++) {
		if (i == 0)
			fprintf(f, "'chart.dat' using 1:(0):2");
		else
			fprintf(f, ", '' using 1:%zu:%zu", i + 1, i + 2);
		fprintf(f, " with filledcurves fc rgb '%s' fs solid 0.9 title '%s'", stack[i].colour,
			sim_class_names[stack[i].cls]);
	}
	fprintf(f, "\n");
	fprintf(f, "set output 'signals.png.tmp'\nset title 'RFC 8145 key-tag signals (validators)'\n"
		   "set ylabel 'validators signalling'\nset yrange [0:*]\n");
	if (!a->nsig) {
		fprintf(f, "set label 'no signals' at graph 0.5, graph 0.5 center\n"
			   "plot 'chart.dat' using 1:(0) with lines notitle\n");
		return;
	}
	fprintf(f, "plot ");
	for (size_t i = 0; i < a->nsig; i++) {
		ta_tags(tl, a->sigmask[i], lab, sizeof(lab));
		fprintf(f, "%s'chart.dat' using 1:%zu with lines lw 2 title ", i ? ", " : "",
			NSTACK + 2 + i);
		gp_string(f, lab);
	}
	fprintf(f, "\n");
}

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static void html_date(FILE *f, int64_t t)
{
	char d[32];

	if (!t) {
		fputs("&ndash;", f);
		return;
	}
	kr_time_format(t, d, sizeof(d));
	fputs(d, f);
}

static void html_page(FILE *f, const void *arg)
{
	const struct args *a = arg;
	const struct sim_timeline *tl = a->tl;
	const struct sim_summary *s = a->sum;
	const struct sim_lint *l = a->lint;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>keyroll rollover simulation</title>\n<style>\n"
		   "body{font-family:sans-serif;margin:2em;max-width:1300px}\n"
		   "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
		   "padding:.3em .6em;text-align:left}th{background:#eee}\n"
		   ".error{color:#b00;font-weight:bold}.warning{color:#a60}.late{background:#fdd}\n"
		   "</style></head><body>\n<h1>RFC 5011 rollover simulation</h1>\n<p>");
	html_text(f, tl->source);
	fprintf(f, ", zone <code>");
	html_text(f, tl->zone);
	fprintf(f, "</code>, %llu validators.", (unsigned long long)a->res->validators);
	if (tl->old_key >= 0 && tl->new_key >= 0) {
		fprintf(f, " Roll from ");
		html_text(f, tl->keys[tl->old_key].name);
		fprintf(f, " (%u) to ", tl->keys[tl->old_key].tag);
		html_text(f, tl->keys[tl->new_key].name);
		fprintf(f, " (%u).", tl->keys[tl->new_key].tag);
	}
	fprintf(f, "</p>\n<img src=\"classes.png\" alt=\"validators per class over time\" "
		   "width=\"1280\">\n<h2>Plan events</h2>\n<table><tr><th>date</th><th>event</th>"
		   "<th>failing +1 d</th><th>failing peak</th><th>insecure +1 d</th>"
		   "<th>RFC 8145 signals with the new key +1 d</th>"
		   "<th>RFC 8509 sentinels trusting the new key +1 d</th>"
		   "<th>earliest safe</th></tr>\n");
	for (size_t i = 0; i < s->nevents; i++) {
		const struct sim_event_summary *e = &s->events[i];
		int late = e->earliest_safe > e->event->when;
		fprintf(f, "<tr%s><td>", late ? " class=\"late\"" : "");
		html_date(f, e->event->when);
		fprintf(f, "</td><td>");
		html_text(f, e->event->label);
		fprintf(f, "</td><td>%.3f %%</td><td>%.3f %%</td><td>%.3f %%</td><td>%.3f %%</td>"
			   "<td>%.3f %%</td><td>",
			100 * e->failing_day1, 100 * e->failing_peak, 100 * e->insecure_day1,
			100 * e->signal_new_day1, 100 * e->sentinel_new_day1);
		html_date(f, e->earliest_safe);
		fprintf(f, "%s</td></tr>\n", late ? " (too early)" : "");
	}
	fprintf(f, "</table>\n");
	if (tl->new_key >= 0) {
		fprintf(f, "<h2>Uptake of ");
		html_text(f, tl->keys[tl->new_key].name);
		fprintf(f, "</h2>\n<table><tr><th>50 %%</th><th>90 %%</th><th>99 %%</th></tr><tr>");
		for (int k = 0; k < 3; k++) {
			fprintf(f, "<td>");
			html_date(f, s->uptake[k]);
			if (s->uptake[k])
				fprintf(f, " (%.1f d)", (double)(s->uptake[k] - s->published) / SIM_DAY);
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr></table>\n<p>Shares of online validators; days after the "
			   "publication of the new key.</p>\n");
	}
	fprintf(f, "<h2>Lint: %d error%s, %d warning%s</h2>\n<table><tr><th>date</th><th>severity</th>"
		   "<th>check</th><th>reason</th></tr>\n",
		l->errors, l->errors == 1 ? "" : "s", l->warnings, l->warnings == 1 ? "" : "s");
	for (size_t i = 0; i < l->nfindings; i++) {
		const struct sim_finding *x = &l->findings[i];
		const char *sev = x->severity == SIM_ERROR ? "error" : x->severity == SIM_WARNING ? "warning" : "info";
		fprintf(f, "<tr><td>");
		html_date(f, x->when);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>", sev, sev);
		html_text(f, x->check);
		fprintf(f, "</td><td>");
		html_text(f, x->reason);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n<h2>What a root server sees</h2>\n<img src=\"signals.png\" "
		   "alt=\"RFC 8145 key-tag signals\" width=\"1280\">\n<p>Data: <a href=\"series.csv\">"
		   "series.csv</a>, <a href=\"summary.json\">summary.json</a>.</p>\n</body></html>\n");
}

static void csv_body(FILE *f, const void *arg)
{
	const struct args *a = arg;
	sim_write_csv(f, a->tl, a->res);
}

static void summary_body(FILE *f, const void *arg)
{
	const struct args *a = arg;
	sim_write_summary_json(f, a->tl, a->res, a->lint, a->sum);
}

static int run_gnuplot(const struct rep *r)
{
	pid_t pid;
	int st = 0;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return sim_err(r->errbuf, r->errlen, KR_ESYS, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (chdir(r->dir) == 0)
			execlp("gnuplot", "gnuplot", "chart.gp", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return sim_err(r->errbuf, r->errlen, KR_ESYS, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return sim_err(r->errbuf, r->errlen, KR_ESYS,
			       WIFEXITED(st) && WEXITSTATUS(st) == 127
				       ? "cannot run gnuplot (is gnuplot installed?)"
				       : "gnuplot failed (status %d)",
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int commit_png(const struct rep *r, const char *name)
{
	char from[4096], to[4096], tmp[64];

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (path_of(r, tmp, from, sizeof(from)) || path_of(r, name, to, sizeof(to)))
		return sim_err(r->errbuf, r->errlen, KR_ETOOBIG, "path too long");
	if (rename(from, to) != 0)
		return sim_err(r->errbuf, r->errlen, KR_ESYS, "%s: %s", from, strerror(errno));
	return 0;
}

int sim_write_report(const char *dir, const struct sim_timeline *tl, const struct sim_result *res,
		     const struct sim_lint *l, const struct sim_summary *s, char *errbuf,
		     size_t errlen)
{
	struct rep r = {dir, errbuf, errlen};
	struct args a = {tl, res, l, s, 0, {0}};
	int rc, created = mkdir(dir, 0755) == 0;

	if (!created && errno != EEXIST)
		return sim_err(errbuf, errlen, KR_ESYS, "mkdir: %s", strerror(errno));
	/* The tag sets that ever reach a root server, up to 16 lines. */
	for (size_t m = 1; m < res->nmasks && a.nsig < 16; m++)
		for (size_t t = 0; t < res->nsamples; t++)
			if (res->signals[t * res->nmasks + m]) {
				a.sigmask[a.nsig++] = m;
				break;
			}
	if ((rc = write_file(&r, "chart.dat", chart_data, &a)) ||
	    (rc = write_file(&r, "chart.gp", chart_script, &a)) || (rc = run_gnuplot(&r)) ||
	    (rc = commit_png(&r, "classes.png")) || (rc = commit_png(&r, "signals.png")) ||
	    (rc = write_file(&r, "series.csv", csv_body, &a)) ||
	    (rc = write_file(&r, "summary.json", summary_body, &a)) ||
	    (rc = write_file(&r, "index.html", html_page, &a))) {
		/* leave no half report: a failed run removes what it wrote */
		static const char *const names[] = {"chart.dat", "chart.gp", "classes.png.tmp",
						     "signals.png.tmp", "classes.png", "signals.png",
						     "series.csv", "summary.json"};
		char path[4096];
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (path_of(&r, names[i], path, sizeof(path)) == 0)
				unlink(path);
		if (created)
			rmdir(dir);
		return rc;
	}
	return 0;
}

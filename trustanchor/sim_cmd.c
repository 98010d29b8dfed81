/*
 * sim_cmd.c - `keyroll-trustanchor simulate` and `keyroll-trustanchor lint`.
 */
#include <getopt.h>
#include <sys/resource.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/commands.h"
#include "trustanchor/sim_out.h"

#define MAX_SKR 64

struct input {
	const char *plan, *preset;
	const char *skr[MAX_SKR];
	size_t nskr;
};

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end = NULL;
	unsigned long long x;

	if (!s || *s < '0' || *s > '9')
		return -1;
	x = strtoull(s, &end, 10);
	if (*end || x > max)
		return -1;
	*v = x;
	return 0;
}

static int size_opt(const char *arg, unsigned *v)
{
	uint64_t x;

	if (parse_u64(arg, 65535, &x) || x < 512) {
		kr_cli_error("bad size '%s' (512..65535)", arg);
		return -1;
	}
	*v = (unsigned)x;
	return 0;
}

/* The options lint and simulate share: the timeline and the lint
 * thresholds.  1 if c was one of them, 0 if not, -1 on a bad value. */
static int common_opt(struct input *in, struct sim_lint_options *lo, int c, const char *arg)
{
	switch (c) {
	case 'p':
		in->plan = arg;
		return 1;
	case 'P':
		in->preset = arg;
		return 1;
	case 'k':
		if (in->nskr == MAX_SKR) {
			kr_cli_error("at most %d SKR files", MAX_SKR);
			return -1;
		}
		in->skr[in->nskr++] = arg;
		return 1;
	case 'm':
		return size_opt(arg, &lo->max_size) ? -1 : 1;
	case 'w':
		return size_opt(arg, &lo->warn_size) ? -1 : 1;
	default:
		return 0;
	}
}

/* Load the timeline named by exactly one of --plan, --preset, --skr. */
static int load_timeline(const struct input *in, struct sim_timeline **tl)
{
	char err[512] = "";
	int rc;

	if (!!in->plan + !!in->preset + !!in->nskr != 1) {
		kr_cli_error("give exactly one of --plan FILE, --preset NAME or --skr FILE...");
		return KR_EXIT_USAGE;
	}
	if (in->plan)
		rc = sim_plan_load(in->plan, tl, err, sizeof(err));
	else if (in->preset)
		rc = sim_preset(in->preset, tl, err, sizeof(err));
	else
		rc = sim_skr_load(in->skr, in->nskr, tl, err, sizeof(err));
	if (rc) {
		kr_cli_error("%s", err[0] ? err : kr_strerror(rc));
		return rc == KR_ENOTFOUND && in->preset ? KR_EXIT_USAGE : kr_exit_status(rc);
	}
	return 0;
}


static void lint_usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor lint (--plan FILE | --preset NAME | --skr FILE...)\n"
		"                                [--max-size BYTES] [--warn-size BYTES] [--json]\n"
		"Check a rollover plan or SKR series against RFC 5011 and the publisher-side\n"
		"safe wait times.  Exit 1 if any finding is an error.\npresets:");
	for (size_t i = 0; sim_preset_names[i]; i++)
		fprintf(f, " %s", sim_preset_names[i]);
	fprintf(f, "\n");
}

int sim_cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plan", required_argument, NULL, 'p'},     {"preset", required_argument, NULL, 'P'},
		{"skr", required_argument, NULL, 'k'},      {"max-size", required_argument, NULL, 'm'},
		{"warn-size", required_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	struct input in = {0};
	struct sim_lint_options lo;
	struct sim_timeline *tl = NULL;
	struct sim_lint *lint = NULL;
	int c, json = 0, status, r;

	sim_lint_defaults(&lo);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((r = common_opt(&in, &lo, c, optarg)) < 0)
			return KR_EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			lint_usage(stdout);
			return KR_EXIT_OK;
		default:
			lint_usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		lint_usage(stderr);
		return KR_EXIT_USAGE;
	}
	if ((status = load_timeline(&in, &tl)))
		return status;
	if ((r = sim_lint_run(tl, &lo, &lint))) {
		status = kr_cli_fail(r, "lint");
		goto out;
	}
	if (json)
		sim_write_lint_json(stdout, lint);
	else
		sim_write_lint_text(stdout, lint);
	status = lint->errors ? KR_EXIT_REJECTED : KR_EXIT_OK;
out:
	sim_lint_free(lint);
	sim_timeline_free(tl);
	return status;
}

/* ---- simulate ------------------------------------------------------------------ */

static void simulate_usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor simulate (--plan FILE | --preset NAME | --skr FILE...)\n"
		"         [--population FILE] [--validators N] [--seed N] [--step DURATION]\n"
		"         [--from DATE] [--to DATE] [--exact] [--threads N]\n"
		"         [--csv FILE] [--series-json FILE] [--report DIR] [--json] [--quiet]\n"
		"         [--max-size BYTES] [--warn-size BYTES] [--stats]\n"
		"Simulate RFC 5011 validators across a KSK rollover; the summary goes to stdout.\n"
		"Exit 1 if the plan's lint has an error (outputs are still written).\n");
}

struct progress {
	int on;
	int last;
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	int pct = total ? (int)(done * 100 / total) : 100, bars = pct / 4;

	if (!p->on || pct == p->last)
		return;
	p->last = pct;
	fprintf(stderr, "\r[%.*s%*s] %3d%%", bars, "#########################", 25 - bars, "", pct);
	if (pct >= 100)
		fputc('\n', stderr);
	fflush(stderr);
}

typedef int (*writer_fn)(FILE *f, const struct sim_timeline *tl, const struct sim_result *r);

static int write_out(const char *path, writer_fn fn, const struct sim_timeline *tl,
		     const struct sim_result *r)
{
	struct kr_atomic *a = NULL;
	int rc;

	if ((rc = kr_atomic_begin(path, 0644, &a)))
		return kr_cli_fail(rc, "%s", path);
	if ((rc = fn(kr_atomic_stream(a), tl, r))) {
		kr_atomic_abort(a);
		return kr_cli_fail(rc, "%s", path);
	}
	if ((rc = kr_atomic_commit(a)))
		return kr_cli_fail(rc, "%s", path);
	return 0;
}

int sim_cmd_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plan", required_argument, NULL, 'p'},
		{"preset", required_argument, NULL, 'P'},
		{"skr", required_argument, NULL, 'k'},
		{"population", required_argument, NULL, 'o'},
		{"validators", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"step", required_argument, NULL, 'S'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"exact", no_argument, NULL, 'x'},
		{"threads", required_argument, NULL, 'T'},
		{"csv", required_argument, NULL, 'c'},
		{"series-json", required_argument, NULL, 'J'},
		{"report", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"max-size", required_argument, NULL, 'm'},
		{"warn-size", required_argument, NULL, 'w'},
		{"stats", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct input in = {0};
	struct sim_options so = {0};
	struct timespec t0, t1;
	int stats = 0;
	struct sim_lint_options lo;
	struct sim_timeline *tl = NULL;
	struct sim_population *pop = NULL;
	struct sim_result *res = NULL;
	struct sim_lint *lint = NULL;
	struct sim_summary *sum = NULL;
	struct progress prog = {0, -1};
	const char *popfile = NULL, *csv = NULL, *sjson = NULL, *report = NULL;
	char err[512] = "";
	int c, json = 0, quiet = 0, status = KR_EXIT_OK, r;
	uint64_t v;

	sim_lint_defaults(&lo);
	so.seed = 1;
	so.step = SIM_HOUR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((r = common_opt(&in, &lo, c, optarg)) < 0)
			return KR_EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'o':
			popfile = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 1000000000ULL, &v) || !v) {
				kr_cli_error("bad --validators '%s' (1..10^9)", optarg);
				return KR_EXIT_USAGE;
			}
			so.validators = v;
			break;
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &so.seed)) {
				kr_cli_error("bad --seed '%s'", optarg);
				return KR_EXIT_USAGE;
			}
			break;
		case 'S':
			if (kr_duration_parse(optarg, &so.step) || so.step < 60) {
				kr_cli_error("bad --step '%s' (ISO 8601 duration, at least PT1M)", optarg);
				return KR_EXIT_USAGE;
			}
			break;
		case 'f':
		case 't':
			if (kr_time_parse(optarg, c == 'f' ? &so.from : &so.to)) {
				kr_cli_error("bad date '%s'", optarg);
				return KR_EXIT_USAGE;
			}
			break;
		case 'x':
			so.exact = 1;
			break;
		case 'T':
			if (parse_u64(optarg, 64, &v) || !v) {
				kr_cli_error("bad --threads '%s' (1..64)", optarg);
				return KR_EXIT_USAGE;
			}
			so.threads = (unsigned)v;
			break;
		case 'c':
			csv = optarg;
			break;
		case 'J':
			sjson = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'R':
			stats = 1;
			break;
		case 'h':
			simulate_usage(stdout);
			return KR_EXIT_OK;
		default:
			simulate_usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		simulate_usage(stderr);
		return KR_EXIT_USAGE;
	}
	if ((status = load_timeline(&in, &tl)))
		return status;
	if ((so.from ? so.from : tl->start) >= (so.to ? so.to : tl->end) ||
	    (so.from && (so.from < tl->start || so.from >= tl->end)) ||
	    (so.to && (so.to <= tl->start || so.to > tl->end))) {
		char a[32], b[32];
		kr_time_format(tl->start, a, sizeof(a));
		kr_time_format(tl->end, b, sizeof(b));
		kr_cli_error("--from and --to must make a window inside the timeline (%s .. %s)", a, b);
		status = KR_EXIT_USAGE;
		goto out;
	}
	r = popfile ? sim_population_load(popfile, tl, &pop, err, sizeof(err))
		    : sim_population_default(tl, &pop);
	if (r) {
		kr_cli_error("%s", err[0] ? err : kr_strerror(r));
		status = kr_exit_status(r);
		goto out;
	}
	if (so.exact && (so.validators ? so.validators : pop->size) > 10000000) {
		kr_cli_error("--exact keeps every validator in memory: at most 10^7");
		status = KR_EXIT_USAGE;
		goto out;
	}
	if ((r = sim_lint_run(tl, &lo, &lint))) {
		status = kr_cli_fail(r, "lint");
		goto out;
	}
	prog.on = !quiet && isatty(STDERR_FILENO);
	so.progress = show_progress;
	so.progress_ctx = &prog;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = sim_run(tl, pop, &so, &res))) {
		status = kr_cli_fail(r, "simulation");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (stats) {
		struct rusage ru;
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		double days = (double)res->nsamples * (double)res->step / SIM_DAY;
		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"stats: %llu validators, %.0f days, %zu samples, %.3f s (CPU %.3f s), "
			"%.3g validator-days/s, %llu events, max RSS %ld KiB, %zu bytes of state per "
			"validator\n",
			(unsigned long long)res->validators, days, res->nsamples, secs,
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
			secs > 0 ? (double)res->validators * days / secs : 0.0,
			(unsigned long long)res->total_events, ru.ru_maxrss, sizeof(struct sim_vstate));
	}
	if (!(sum = malloc(sizeof(*sum))) || (r = sim_summarize(tl, res, lint, sum))) {
		status = kr_cli_fail(sum ? r : KR_ENOMEM, "summary");
		goto out;
	}
	if (csv && (status = write_out(csv, sim_write_csv, tl, res)))
		goto out;
	if (sjson && (status = write_out(sjson, sim_write_series_json, tl, res)))
		goto out;
	if (report && (r = sim_write_report(report, tl, res, lint, sum, err, sizeof(err)))) {
		kr_cli_error("report %s: %s", report, err[0] ? err : kr_strerror(r));
		status = kr_exit_status(r);
		goto out;
	}
	if (json)
		sim_write_summary_json(stdout, tl, res, lint, sum);
	else
		sim_write_summary_text(stdout, tl, res, lint, sum);
	status = lint->errors ? KR_EXIT_REJECTED : KR_EXIT_OK;
out:
	free(sum);
	sim_lint_free(lint);
	sim_result_free(res);
	sim_population_free(pop);
	sim_timeline_free(tl);
	return status;
}

/*
 * keyroll-ceremony run: walk a script step by step, one audit record per
 * step, and seal the log with the audit key at the end.
 *
 * Order is the script's: the runner asks for (or, in a rehearsal, reads)
 * the answer of the current step only, so nothing can be skipped or done
 * out of order; an answer for any other step stops the run.  A tool that
 * fails stops the run with its output logged; --resume continues from the
 * first step without a done/exception record, after checking the chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ceremony/auditlog.h"
#include "ceremony/ceremony.h"
#include "ceremony/commands.h"
#include "ceremony/script.h"
#include "hsm/keystore.h"
#include "lib/cbor.h"
#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"

#define OUTPUT_KEEP (64 * 1024)        /* tool output kept in a record */
#define HASH_FILE_MAX (256 * 1024 * 1024)
#define LINE_MAX_INPUT 1024
#define STEP_FAILED 1 /* run_step: a tool failed, its record is written */

struct runner {
	struct kr_script *script;
	struct kr_answers *answers; /* NULL: interactive */
	size_t next_answer;
	struct kr_participant *people;
	size_t npeople;
	int own_people; /* people[] allocated here (else borrowed from answers) */
	struct kr_audit_writer *log;
	const char *log_path;
	size_t exceptions;
};

static uint64_t now(void)
{
	time_t t = time(NULL);
	return t < 0 ? 0 : (uint64_t)t;
}

/* --- terminal input ---------------------------------------------------------- */

static int ask(const char *prompt, char *buf, size_t size)
{
	fputs(prompt, stdout);
	fflush(stdout);
	if (fgets(buf, (int)size, stdin) == NULL)
		return KR_ECANCEL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return KR_OK;
}

/* --- participants -------------------------------------------------------------- */

static const struct kr_participant *by_initials(const struct runner *r, const char *initials)
{
	for (size_t i = 0; i < r->npeople; i++)
		if (strcmp(r->people[i].initials, initials) == 0)
			return &r->people[i];
	return NULL;
}

static int holds_role(const struct runner *r, const char *initials, const char *role)
{
	for (size_t i = 0; i < r->npeople; i++)
		if (strcmp(r->people[i].initials, initials) == 0 && strcmp(r->people[i].role, role) == 0)
			return 1;
	return 0;
}

/* Every role a step uses has someone; initials name one person each. */
static int check_people(const struct runner *r)
{
	const struct kr_script *s = r->script;
	for (size_t i = 0; i < r->npeople; i++) {
		const struct kr_participant *p = &r->people[i];
		if (kr_script_role(s, p->role) == NULL) {
			kr_cli_error("participant %s (%s): role '%s' is not in the script", p->name,
				     p->initials, p->role);
			return KR_EMALFORMED;
		}
		for (size_t j = 0; j < i; j++) {
			const struct kr_participant *q = &r->people[j];
			if (strcmp(q->initials, p->initials) == 0 && strcmp(q->name, p->name) != 0) {
				kr_cli_error("initials %s are used by %s and %s", p->initials, q->name,
					     p->name);
				return KR_EMALFORMED;
			}
			if (strcmp(q->initials, p->initials) == 0 && strcmp(q->role, p->role) == 0) {
				kr_cli_error("%s is listed twice as %s", p->name, p->role);
				return KR_EMALFORMED;
			}
		}
	}
	for (size_t i = 0; i < s->nsteps; i++)
		for (size_t k = 0; k < s->steps[i].nroles; k++) {
			size_t j = 0;
			while (j < r->npeople && strcmp(r->people[j].role, s->steps[i].roles[k]) != 0)
				j++;
			if (j == r->npeople) {
				kr_cli_error("nobody holds role %s, which step %s needs",
					     s->steps[i].roles[k], s->steps[i].id);
				return KR_EMALFORMED;
			}
		}
	return KR_OK;
}

static void free_people(struct kr_participant *p, size_t n)
{
	for (size_t i = 0; p != NULL && i < n; i++) {
		free(p[i].role);
		free(p[i].name);
		free(p[i].initials);
	}
	free(p);
}

static int prompt_people(struct runner *r)
{
	const struct kr_script *s = r->script;
	size_t cap = 0;
	char name[LINE_MAX_INPUT], ini[64];
	printf("Participants: for each role enter the people who hold it (empty name ends the "
	       "role).\n");
	for (size_t i = 0; i < s->nroles; i++) {
		for (;;) {
			char prompt[256];
			snprintf(prompt, sizeof(prompt), "  %s (%s) name: ", s->roles[i].name,
				 s->roles[i].desc);
			if (ask(prompt, name, sizeof(name)) != KR_OK)
				return KR_ECANCEL;
			if (name[0] == '\0')
				break;
			if (ask("    initials: ", ini, sizeof(ini)) != KR_OK)
				return KR_ECANCEL;
			if (ini[0] == '\0' || strpbrk(ini, " \t") != NULL) {
				printf("    initials must be one word; enter the person again\n");
				continue;
			}
			if (r->npeople == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct kr_participant *np = realloc(r->people, ncap * sizeof(*np));
				if (np == NULL)
					return KR_ENOMEM;
				r->people = np;
				cap = ncap;
			}
			struct kr_participant *p = &r->people[r->npeople];
			p->role = strdup(s->roles[i].name);
			p->name = strdup(name);
			p->initials = strdup(ini);
			r->npeople++;
			if (p->role == NULL || p->name == NULL || p->initials == NULL)
				return KR_ENOMEM;
		}
	}
	return KR_OK;
}

static int record_people(struct runner *r)
{
	cbor_item_t *list = cbor_new_definite_array(r->npeople);
	cbor_item_t *data = cbor_new_definite_map(1);
	int rc = list && data ? KR_OK : KR_ENOMEM;
	for (size_t i = 0; rc == KR_OK && i < r->npeople; i++) {
		cbor_item_t *p = cbor_new_definite_map(3);
		if (p == NULL ||
		    kr_cbor_put(p, "role", kr_cbor_text(r->people[i].role)) != KR_OK ||
		    kr_cbor_put(p, "name", kr_cbor_text(r->people[i].name)) != KR_OK ||
		    kr_cbor_put(p, "initials", kr_cbor_text(r->people[i].initials)) != KR_OK)
			rc = KR_ENOMEM;
		if (rc == KR_OK)
			rc = kr_cbor_push(list, p);
		else if (p != NULL)
			cbor_decref(&p);
	}
	if (rc == KR_OK) {
		rc = kr_cbor_put(data, "people", list);
		list = NULL; /* transferred */
	}
	if (rc == KR_OK)
		rc = kr_audit_append(r->log, "participants", now(), data, NULL);
	if (list != NULL)
		cbor_decref(&list);
	if (data != NULL)
		cbor_decref(&data);
	return rc;
}

/* Participants back from a log being resumed. */
static int people_from_log(struct runner *r, const struct kr_audit_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->recs[i].type, "participants") != 0)
			continue;
		cbor_item_t *list = kr_cbor_get(v->recs[i].data, "people", NULL);
		if (list == NULL || !cbor_isa_array(list))
			return KR_EMALFORMED;
		size_t n = cbor_array_size(list);
		r->people = calloc(n ? n : 1, sizeof(*r->people));
		if (r->people == NULL)
			return KR_ENOMEM;
		r->own_people = 1;
		for (size_t j = 0; j < n; j++) {
			cbor_item_t *p = cbor_array_get(list, j);
			struct kr_participant *q = &r->people[r->npeople++];
			int rc = KR_OK;
			if (kr_cbor_get_text(p, "role", 256, &q->role) != KR_OK ||
			    kr_cbor_get_text(p, "name", 1024, &q->name) != KR_OK ||
			    kr_cbor_get_text(p, "initials", 64, &q->initials) != KR_OK)
				rc = KR_EMALFORMED;
			cbor_decref(&p);
			if (rc != KR_OK)
				return rc;
		}
		return KR_OK;
	}
	return KR_ENOTFOUND;
}

/* --- answers --------------------------------------------------------------------- */

struct answer {
	char initials[64];
	char result[16];
	char text[LINE_MAX_INPUT];
};

/* The performer's initials for step st: from the answers file or the terminal;
 * they must belong to a participant holding one of the step's roles. */
static int get_initials(struct runner *r, const struct kr_step *st, struct answer *a)
{
	for (;;) {
		if (r->answers != NULL) {
			if (r->next_answer >= r->answers->nsteps) {
				kr_cli_error("answers file: no answer for step %s (the run stops here; "
					     "continue with --resume)", st->id);
				return KR_ECANCEL;
			}
			const struct kr_answer *an = &r->answers->steps[r->next_answer];
			if (strcmp(an->step, st->id) != 0) {
				kr_cli_error("answers file: answer %zu is for step %s, but the ceremony "
					     "is at step %s: steps cannot be skipped or reordered",
					     r->next_answer + 1, an->step, st->id);
				return KR_EPOLICY;
			}
			snprintf(a->initials, sizeof(a->initials), "%s", an->initials);
		} else {
			char prompt[128];
			snprintf(prompt, sizeof(prompt), "   initials of the performer: ");
			if (ask(prompt, a->initials, sizeof(a->initials)) != KR_OK)
				return KR_ECANCEL;
		}
		for (size_t k = 0; k < st->nroles; k++)
			if (holds_role(r, a->initials, st->roles[k]))
				return KR_OK;
		const struct kr_participant *p = by_initials(r, a->initials);
		if (r->answers != NULL) {
			if (p != NULL)
				kr_cli_error("step %s: %s (%s) holds none of the step's roles", st->id,
					     p->name, a->initials);
			else
				kr_cli_error("step %s: initials %s belong to no participant", st->id,
					     a->initials);
			return KR_EPOLICY;
		}
		printf("   %s: not a participant holding one of the step's roles\n", a->initials);
	}
}

static int get_result(struct runner *r, struct answer *a)
{
	if (r->answers != NULL) {
		const struct kr_answer *an = &r->answers->steps[r->next_answer++];
		snprintf(a->result, sizeof(a->result), "%s", an->result);
		snprintf(a->text, sizeof(a->text), "%s", an->text ? an->text : "");
		if (an->text != NULL)
			printf("   %s: %s\n", a->result, a->text);
		else
			printf("   %s (%s)\n", a->result, a->initials);
		return KR_OK;
	}
	for (;;) {
		if (ask("   result [done/exception]: ", a->result, sizeof(a->result)) != KR_OK)
			return KR_ECANCEL;
		if (strcmp(a->result, "done") == 0) {
			a->text[0] = '\0';
			return KR_OK;
		}
		if (strcmp(a->result, "exception") == 0) {
			do {
				if (ask("   exception (what happened, what was done): ", a->text,
					sizeof(a->text)) != KR_OK)
					return KR_ECANCEL;
			} while (a->text[0] == '\0');
			return KR_OK;
		}
	}
}

/* --- actions ------------------------------------------------------------------------ */

static int self_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0 || (size_t)n >= size - 1)
		return KR_ESYS;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash == NULL)
		return KR_ESYS;
	*slash = '\0';
	return KR_OK;
}

struct tool_result {
	int status; /* exit status, or 128 + signal */
	char *output; /* first OUTPUT_KEEP bytes, NUL-terminated */
	size_t output_len, total;
	uint8_t sha256[32];
};

/* Run a sibling tool without a shell; its output goes to the screen and,
 * up to OUTPUT_KEEP bytes, into res. */
static int run_tool(struct runner *r, char *const argv[], struct tool_result *res)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int rc = self_dir(dir, sizeof(dir));
	if (rc != KR_OK)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s", dir, argv[0]) >= (int)sizeof(path))
		return KR_ETOOBIG;
	if (access(path, X_OK) != 0)
		return KR_ESYS; /* errno says why: not installed beside keyroll-ceremony */
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return KR_ESYS;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return KR_ESYS;
	}
	if (pid == 0) {
		if (r->answers != NULL) {
			int null = open("/dev/null", O_RDONLY);
			if (null < 0 || dup2(null, STDIN_FILENO) < 0)
				_exit(127);
		}
		if (dup2(fds[1], STDOUT_FILENO) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	res->output = malloc(OUTPUT_KEEP + 1);
	if (md == NULL || res->output == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		rc = KR_ENOMEM;
	for (;;) {
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		if (rc != KR_OK)
			continue;
		res->total += (size_t)n;
		EVP_DigestUpdate(md, buf, (size_t)n);
		size_t keep = OUTPUT_KEEP - res->output_len;
		if (keep > (size_t)n)
			keep = (size_t)n;
		memcpy(res->output + res->output_len, buf, keep);
		res->output_len += keep;
	}
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			rc = KR_ESYS;
			break;
		}
	}
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (rc == KR_OK) {
		res->output[res->output_len] = '\0';
		unsigned int hl = 0;
		if (EVP_DigestFinal_ex(md, res->sha256, &hl) != 1)
			rc = KR_ECRYPTO;
	}
	EVP_MD_CTX_free(md);
	return rc;
}

static int hash_file(const char *path, uint8_t out[32])
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, HASH_FILE_MAX, &buf, &len);
	if (rc != KR_OK)
		return rc;
	unsigned int hl = 0;
	rc = EVP_Digest(buf, len, out, &hl, EVP_sha256(), NULL) == 1 ? KR_OK : KR_ECRYPTO;
	free(buf);
	return rc;
}

int kr_ceremony_show_hash(const char *label, const uint8_t *h, size_t len)
{
	char *hex = NULL, *words = NULL;
	int rc = kr_hex_encode(h, len, 0, &hex);
	if (rc == KR_OK)
		rc = kr_pgp_words(h, len, &words);
	if (rc == KR_OK) {
		printf("%s SHA-256:\n", label);
		for (size_t i = 0; hex[i]; i += 4)
			printf("%s%.4s%s", i % 32 == 0 ? "   " : "", hex + i,
			       (i + 4) % 32 == 0 || hex[i + 4] == '\0' ? "\n" : " ");
		printf("   PGP words:\n   ");
		size_t col = 3;
		for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
			if (col + strlen(w) > 76) {
				printf("\n   ");
				col = 3;
			}
			col += (size_t)printf("%s ", w);
		}
		printf("\n");
	}
	free(hex);
	free(words);
	return rc;
}

static int put_strv(cbor_item_t *map, const char *key, char *const *v, size_t n)
{
	cbor_item_t *a = cbor_new_definite_array(n);
	if (a == NULL)
		return KR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (kr_cbor_push(a, kr_cbor_text(v[i])) != KR_OK) {
			cbor_decref(&a);
			return KR_ENOMEM;
		}
	return kr_cbor_put(map, key, a);
}

static int run_step(struct runner *r, const struct kr_step *st)
{
	const struct kr_script *s = r->script;
	struct answer a;
	struct tool_result tr = {0};
	uint8_t fh[32];
	uint64_t started = now();
	int rc, failed = 0;
	cbor_item_t *d = NULL;
	memset(&a, 0, sizeof(a));

	if (strcmp(strchr(st->id, '.'), ".1") == 0) /* the act's first step */
		printf("\n== Act %zu: %s\n", st->act + 1, s->acts[st->act]);
	printf("\n-- Step %s [", st->id);
	for (size_t i = 0; i < st->nroles; i++)
		printf("%s%s", i ? ", " : "", st->roles[i]);
	printf("] %s\n", st->title);
	if (st->kind == KR_STEP_MANUAL && strcmp(st->title, st->text) != 0)
		printf("   %s\n", st->text);
	if (st->note != NULL)
		printf("   note: %s\n", st->note);
	if (st->kind == KR_STEP_RUN) {
		printf("   runs:");
		for (size_t i = 0; i < st->argc; i++)
			printf(" %s", st->argv[i]);
		printf("\n");
	}

	if ((rc = get_initials(r, st, &a)) != KR_OK)
		return rc;
	if (st->kind == KR_STEP_RUN) {
		rc = run_tool(r, st->argv, &tr);
		if (rc != KR_OK) {
			free(tr.output);
			kr_cli_fail(rc, "step %s: running %s", st->id, st->argv[0]);
			return rc;
		}
		if (tr.status != 0) {
			failed = 1;
			kr_cli_error("step %s: %s failed with exit status %d", st->id, st->argv[0],
				     tr.status);
		}
	} else if (st->kind == KR_STEP_HASH) {
		rc = hash_file(st->text, fh);
		if (rc != KR_OK) {
			kr_cli_fail(rc, "step %s: reading %s", st->id, st->text);
			return rc;
		}
		kr_ceremony_show_hash(st->text, fh, sizeof(fh));
	}
	if (failed) {
		snprintf(a.result, sizeof(a.result), "failed");
		if (r->answers != NULL)
			r->next_answer++; /* the answer was for this attempt */
	} else if ((rc = get_result(r, &a)) != KR_OK) {
		free(tr.output);
		return rc;
	}

	d = cbor_new_definite_map(16);
	rc = d ? KR_OK : KR_ENOMEM;
	static const char *const kinds[] = {"manual", "run", "hash"};
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "id", kr_cbor_text(st->id));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "act", kr_cbor_text(s->acts[st->act]));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "title", kr_cbor_text(st->title));
	if (rc == KR_OK)
		rc = put_strv(d, "roles", st->roles, st->nroles);
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "action", kr_cbor_text(kinds[st->kind]));
	if (rc == KR_OK && st->kind == KR_STEP_MANUAL)
		rc = kr_cbor_put(d, "text", kr_cbor_text(st->text));
	if (rc == KR_OK && st->kind == KR_STEP_HASH) {
		rc = kr_cbor_put(d, "file", kr_cbor_text(st->text));
		if (rc == KR_OK)
			rc = kr_cbor_put(d, "sha256", kr_cbor_bytes(fh, sizeof(fh)));
	}
	if (rc == KR_OK && st->kind == KR_STEP_RUN) {
		rc = put_strv(d, "argv", st->argv, st->argc);
		if (rc == KR_OK)
			rc = kr_cbor_put(d, "exit", kr_cbor_uint((uint64_t)tr.status));
		if (rc == KR_OK)
			rc = kr_cbor_put(d, "output", kr_cbor_bytes((uint8_t *)tr.output, tr.output_len));
		if (rc == KR_OK)
			rc = kr_cbor_put(d, "output-size", kr_cbor_uint(tr.total));
		if (rc == KR_OK)
			rc = kr_cbor_put(d, "output-sha256", kr_cbor_bytes(tr.sha256, 32));
	}
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "result", kr_cbor_text(a.result));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "initials", kr_cbor_text(a.initials));
	if (rc == KR_OK && a.text[0] != '\0')
		rc = kr_cbor_put(d, "exception", kr_cbor_text(a.text));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "started", kr_cbor_uint(started));
	if (rc == KR_OK)
		rc = kr_audit_append(r->log, "step", now(), d, NULL);
	if (rc != KR_OK)
		kr_cli_fail(rc, "step %s: writing the audit record to %s", st->id, r->log_path);
	else if (failed)
		rc = STEP_FAILED;
	if (rc == KR_OK && strcmp(a.result, "exception") == 0)
		r->exceptions++;
	free(tr.output);
	if (d != NULL)
		cbor_decref(&d);
	return rc;
}

/* --- open, resume, seal ------------------------------------------------------------ */

static int record_open(struct runner *r, const char *script_path)
{
	const struct kr_script *s = r->script;
	const char *base = strrchr(script_path, '/');
	base = base ? base + 1 : script_path;
	cbor_item_t *d = cbor_new_definite_map(6), *params = cbor_new_definite_map(s->nparams);
	int rc = d && params ? KR_OK : KR_ENOMEM;
	for (size_t i = 0; rc == KR_OK && i < s->nparams; i++) {
		cbor_item_t *v = cbor_new_definite_array(s->params[i].n);
		for (size_t j = 0; v != NULL && rc == KR_OK && j < s->params[i].n; j++)
			rc = kr_cbor_push(v, kr_cbor_text(s->params[i].values[j]));
		if (rc == KR_OK)
			rc = kr_cbor_put(params, s->params[i].name, v);
		else if (v != NULL)
			cbor_decref(&v);
	}
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "ceremony", kr_cbor_text(s->title));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "script", kr_cbor_text(base));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "script-sha256", kr_cbor_bytes(s->sha256, 32));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "mode", kr_cbor_text(r->answers ? "rehearsal" : "ceremony"));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "version", kr_cbor_text(KEYROLL_VERSION));
	if (rc == KR_OK) {
		rc = kr_cbor_put(d, "params", params);
		params = NULL; /* transferred */
	}
	if (rc == KR_OK)
		rc = kr_audit_append(r->log, "open", now(), d, NULL);
	if (params != NULL)
		cbor_decref(&params);
	if (d != NULL)
		cbor_decref(&d);
	return rc;
}

/* The parameters recorded in the open record, as overrides for the script. */
static int params_from_log(const struct kr_audit_view *v, struct kr_param **out, size_t *n)
{
	cbor_item_t *m = kr_cbor_get(v->recs[0].data, "params", NULL);
	if (m == NULL || !cbor_isa_map(m))
		return KR_EMALFORMED;
	size_t np = cbor_map_size(m);
	struct kr_param *p = calloc(np + 1, sizeof(*p));
	if (p == NULL)
		return KR_ENOMEM;
	struct cbor_pair *pairs = cbor_map_handle(m);
	int rc = KR_OK;
	size_t i = 0;
	for (; rc == KR_OK && i < np; i++) {
		if ((rc = kr_cbor_text_dup(pairs[i].key, 256, &p[i].name)) != KR_OK)
			break;
		if (!cbor_isa_array(pairs[i].value)) {
			rc = KR_EMALFORMED;
			break;
		}
		size_t nv = cbor_array_size(pairs[i].value);
		p[i].values = calloc(nv + 1, sizeof(char *));
		if (p[i].values == NULL) {
			rc = KR_ENOMEM;
			break;
		}
		cbor_item_t **items = cbor_array_handle(pairs[i].value);
		for (size_t j = 0; rc == KR_OK && j < nv; j++) {
			rc = kr_cbor_text_dup(items[j], 4096, &p[i].values[j]);
			p[i].n += rc == KR_OK;
		}
	}
	if (rc != KR_OK) {
		kr_params_free(p, i + 1 > np ? np : i + 1);
		return rc;
	}
	*out = p;
	*n = np;
	return KR_OK;
}

/* How many script steps the log has completed (done or exception), checking
 * they are the script's first steps in order; exceptions counted too. */
static int completed_steps(const struct runner *r, const struct kr_audit_view *v, size_t *done)
{
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->recs[i].type, "step") != 0)
			continue;
		char *id = NULL, *result = NULL;
		int rc = KR_OK;
		if (kr_cbor_get_text(v->recs[i].data, "id", 23, &id) != KR_OK ||
		    kr_cbor_get_text(v->recs[i].data, "result", 15, &result) != KR_OK)
			rc = KR_EMALFORMED;
		else if (k >= r->script->nsteps || strcmp(id, r->script->steps[k].id) != 0)
			rc = KR_EPOLICY;
		else if (strcmp(result, "failed") != 0)
			k++;
		if (rc != KR_OK)
			kr_cli_error("the log's record %zu (step %s) does not follow the script",
				     i, id ? id : "?");
		free(id);
		free(result);
		if (rc != KR_OK)
			return rc;
	}
	*done = k;
	return KR_OK;
}

static size_t count_exceptions(const struct kr_audit_view *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->recs[i].type, "step") == 0 &&
		    kr_cbor_get(v->recs[i].data, "exception", NULL) != NULL)
			n++;
	return n;
}

static int seal_log(struct runner *r)
{
	const struct kr_script *s = r->script;
	struct kr_hsm_opts o = {
		.module = s->audit_module,
		.token = s->audit_token,
		.pin_file = s->audit_pin_file,
		.cards = (const char *const *)s->audit_cards,
	};
	struct kr_keystore *ks = NULL;
	struct kr_signer signer;
	uint8_t head[KR_AUDIT_HASH_LEN];
	cbor_item_t *d = NULL;
	char pem[PATH_MAX];
	memset(&signer, 0, sizeof(signer));
	printf("\nSealing the log with audit key '%s' on token '%s'\n", s->audit_key, s->audit_token);
	int rc = kr_hsm_open(&o, &ks);
	if (rc != KR_OK)
		return rc; /* kr_hsm_open has said why */
	rc = kr_keystore_signer(ks, s->audit_key, KR_DNSKEY_ZONE | KR_DNSKEY_SEP, &signer);
	if (rc != KR_OK) {
		kr_cli_fail(rc, "audit key '%s' on token '%s'", s->audit_key, s->audit_token);
		goto out;
	}
	d = cbor_new_definite_map(4);
	rc = d ? KR_OK : KR_ENOMEM;
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "status", kr_cbor_text("complete"));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "steps", kr_cbor_uint(s->nsteps));
	if (rc == KR_OK)
		rc = kr_cbor_put(d, "exceptions", kr_cbor_uint(r->exceptions));
	if (rc == KR_OK)
		rc = kr_audit_seal(r->log, &signer, now(), d, head);
	if (rc != KR_OK) {
		kr_cli_fail(rc, "sealing the audit log %s", r->log_path);
		goto out;
	}
	if (snprintf(pem, sizeof(pem), "%s.audit-key.pem", r->log_path) >= (int)sizeof(pem) ||
	    (rc = kr_ceremony_write_pubkey(pem, &signer.key)) != KR_OK) {
		rc = rc ? rc : KR_ETOOBIG;
		kr_cli_fail(rc, "writing the audit public key beside the log");
		goto out;
	}
	printf("\nCeremony complete: %zu steps, %zu exceptions.\nAudit log: %s\n", s->nsteps,
	       r->exceptions, r->log_path);
	printf("Sealed by audit key tag %u (algorithm %u); public key in %s\n",
	       kr_dnskey_keytag(&signer.key), signer.key.algorithm, pem);
	kr_ceremony_show_hash("Log head (write this down)", head, sizeof(head));
out:
	if (d != NULL)
		cbor_decref(&d);
	kr_keystore_signer_free(&signer);
	kr_keystore_close(ks);
	return rc;
}

/* --- the command ----------------------------------------------------------------- */

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-ceremony run SCRIPT.yaml [--answers FILE] [--log DIR]\n"
		"                            [--param NAME=VALUE]...\n"
		"       keyroll-ceremony run SCRIPT.yaml --resume LOG [--answers FILE]\n"
		"Run a ceremony script step by step, recording each step in a hash-chained\n"
		"audit log sealed by the audit key.  Interactive on a terminal; --answers\n"
		"runs a rehearsal from a YAML answers file.\n"
		"  --answers FILE      rehearsal: participants and step answers from FILE\n"
		"  --log DIR           directory for the new audit log (default .)\n"
		"  --param NAME=VALUE  set a script parameter (repeat for list parameters)\n"
		"  --resume LOG        continue an interrupted ceremony after checking LOG\n");
}

static int add_param(struct kr_param **p, size_t *n, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return KR_EINVAL;
	size_t i = 0;
	while (i < *n && (strlen((*p)[i].name) != (size_t)(eq - arg) ||
			  memcmp((*p)[i].name, arg, (size_t)(eq - arg)) != 0))
		i++;
	if (i == *n) {
		struct kr_param *np = realloc(*p, (*n + 1) * sizeof(*np));
		if (np == NULL)
			return KR_ENOMEM;
		*p = np;
		memset(&np[i], 0, sizeof(np[i]));
		if ((np[i].name = strndup(arg, (size_t)(eq - arg))) == NULL)
			return KR_ENOMEM;
		(*n)++;
	}
	struct kr_param *q = &(*p)[i];
	char **nv = realloc(q->values, (q->n + 2) * sizeof(*nv));
	if (nv == NULL)
		return KR_ENOMEM;
	q->values = nv;
	if ((nv[q->n] = strdup(eq + 1)) == NULL)
		return KR_ENOMEM;
	nv[++q->n] = NULL;
	return KR_OK;
}

int ceremony_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"answers", required_argument, NULL, 'a'}, {"log", required_argument, NULL, 'l'},
		{"param", required_argument, NULL, 'p'},   {"resume", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *answers_path = NULL, *log_dir = ".", *resume = NULL;
	struct kr_param *params = NULL, *merged = NULL;
	size_t nparams = 0, nmerged = 0;
	struct runner r;
	struct kr_audit_view *view = NULL;
	char why[512], path[PATH_MAX];
	int c, rc = KR_OK, status = KR_EXIT_OK;
	size_t first = 0;
	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': answers_path = optarg; break;
		case 'l': log_dir = optarg; break;
		case 'r': resume = optarg; break;
		case 'p':
			if ((rc = add_param(&params, &nparams, optarg)) != KR_OK) {
				kr_params_free(params, nparams);
				if (rc == KR_EINVAL) {
					kr_cli_error("--param takes NAME=VALUE, not '%s'", optarg);
					return KR_EXIT_USAGE;
				}
				return kr_cli_fail(rc, "--param");
			}
			break;
		case 'h': run_usage(stdout); return KR_EXIT_OK;
		default: run_usage(stderr); kr_params_free(params, nparams); return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (resume != NULL && nparams > 0)) {
		if (resume != NULL && nparams > 0)
			kr_cli_error("--param cannot change a ceremony being resumed (the log has them)");
		run_usage(stderr);
		kr_params_free(params, nparams);
		return KR_EXIT_USAGE;
	}
	const char *script_path = argv[optind];
	if (answers_path == NULL && !isatty(STDIN_FILENO)) {
		kr_cli_error("no terminal: a ceremony is interactive; use --answers FILE to rehearse");
		kr_params_free(params, nparams);
		return KR_EXIT_USAGE;
	}
	if (answers_path != NULL &&
	    (rc = kr_answers_load(answers_path, &r.answers, why, sizeof(why))) != KR_OK) {
		kr_cli_error("answers file %s: %s", answers_path, why);
		status = kr_exit_status(rc);
		goto out;
	}
	if (resume != NULL) {
		if ((rc = kr_audit_load(resume, &view, why, sizeof(why))) != KR_OK) {
			kr_cli_error("cannot resume %s: %s", resume, why);
			status = kr_exit_status(rc == KR_ESYS ? rc : KR_EMALFORMED);
			goto out;
		}
		if (view->sealed) {
			kr_cli_error("cannot resume %s: the ceremony is complete and the log sealed",
				     resume);
			status = KR_EXIT_REJECTED;
			goto out;
		}
		if ((rc = params_from_log(view, &merged, &nmerged)) != KR_OK) {
			kr_cli_error("cannot resume %s: its open record has no usable parameters", resume);
			status = KR_EXIT_REJECTED;
			goto out;
		}
	} else {
		/* the command line and the answers file may not both set one parameter */
		for (size_t i = 0; r.answers != NULL && i < r.answers->nparams; i++)
			for (size_t j = 0; j < nparams; j++)
				if (strcmp(params[j].name, r.answers->params[i].name) == 0) {
					kr_cli_error("parameter '%s' is set both by --param and the "
						     "answers file", params[j].name);
					status = KR_EXIT_USAGE;
					goto out;
				}
	}
	{
		/* overrides: from the log when resuming, else answers file + --param */
		struct kr_param *ov = merged;
		size_t nov = nmerged;
		struct kr_param *both = NULL;
		if (resume == NULL) {
			size_t na = r.answers ? r.answers->nparams : 0;
			both = calloc(na + nparams + 1, sizeof(*both));
			if (both == NULL) {
				status = kr_cli_fail(KR_ENOMEM, "parameters");
				goto out;
			}
			for (size_t i = 0; i < na; i++)
				both[i] = r.answers->params[i];
			for (size_t i = 0; i < nparams; i++)
				both[na + i] = params[i];
			ov = both;
			nov = na + nparams;
		}
		rc = kr_script_load(script_path, ov, nov, &r.script, why, sizeof(why));
		free(both); /* shallow copies */
		if (rc != KR_OK) {
			kr_cli_error("script %s: %s", script_path, why);
			status = kr_exit_status(rc == KR_ESYS ? rc : KR_EMALFORMED);
			goto out;
		}
	}
	if (resume != NULL) {
		uint8_t *sh = NULL;
		size_t shl = 0;
		int same = kr_cbor_get_bytes(view->recs[0].data, "script-sha256", 32, &sh, &shl) == KR_OK &&
			   shl == 32 && memcmp(sh, r.script->sha256, 32) == 0;
		free(sh);
		if (!same) {
			kr_cli_error("%s is not the script this log was started with (SHA-256 differs)",
				     script_path);
			status = KR_EXIT_REJECTED;
			goto out;
		}
		char *mode = NULL;
		if (kr_cbor_get_text(view->recs[0].data, "mode", 16, &mode) != KR_OK ||
		    (strcmp(mode, "rehearsal") == 0) != (r.answers != NULL)) {
			kr_cli_error("a %s must be resumed %s", mode ? mode : "ceremony",
				     mode && strcmp(mode, "rehearsal") == 0 ? "with --answers"
									    : "interactively, without --answers");
			free(mode);
			status = KR_EXIT_USAGE;
			goto out;
		}
		free(mode);
		if ((rc = people_from_log(&r, view)) != KR_OK) {
			kr_cli_error("cannot resume %s: no participants record", resume);
			status = KR_EXIT_REJECTED;
			goto out;
		}
		if ((rc = completed_steps(&r, view, &first)) != KR_OK) {
			status = KR_EXIT_REJECTED;
			goto out;
		}
		r.exceptions = count_exceptions(view);
		while (r.answers != NULL && r.next_answer < r.answers->nsteps) {
			long idx = kr_script_step_index(r.script, r.answers->steps[r.next_answer].step);
			if (idx < 0 || (size_t)idx >= first)
				break;
			r.next_answer++;
		}
		if ((rc = kr_audit_reopen(resume, view, &r.log)) != KR_OK) {
			status = kr_cli_fail(rc, "reopening %s for appending%s", resume,
					     rc == KR_EDENIED ? " (in use, or changed since it was checked)" : "");
			goto out;
		}
		r.log_path = resume;
		printf("Resuming %s: %zu records verified, %zu of %zu steps completed.\n", resume,
		       view->n, first, r.script->nsteps);
		int after_close = strcmp(view->recs[view->n - 1].type, "close") == 0;
		if (!after_close) {
			cbor_item_t *d = cbor_new_definite_map(2);
			rc = d ? KR_OK : KR_ENOMEM;
			if (rc == KR_OK)
				rc = kr_cbor_put(d, "records", kr_cbor_uint(view->n));
			if (rc == KR_OK)
				rc = kr_cbor_put(d, "next-step",
						 kr_cbor_text(first < r.script->nsteps ? r.script->steps[first].id : "close"));
			if (rc == KR_OK)
				rc = kr_audit_append(r.log, "resume", now(), d, NULL);
			if (d != NULL)
				cbor_decref(&d);
			if (rc != KR_OK) {
				status = kr_cli_fail(rc, "writing the resume record");
				goto out;
			}
		}
	} else {
		if (r.answers != NULL) {
			r.people = r.answers->people;
			r.npeople = r.answers->npeople;
		} else {
			r.own_people = 1;
			printf("%s\n", r.script->title);
			if ((rc = prompt_people(&r)) != KR_OK) {
				status = kr_cli_fail(rc, "reading participants");
				goto out;
			}
		}
		if ((rc = check_people(&r)) != KR_OK) {
			status = KR_EXIT_REJECTED;
			goto out;
		}
		const char *base = strrchr(script_path, '/');
		base = base ? base + 1 : script_path;
		size_t blen = strcspn(base, ".");
		char stamp[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		/* a new file: never append to an existing log by accident */
		rc = KR_EEXIST;
		for (int n = 1; rc == KR_EEXIST && n < 100; n++) {
			char suffix[8] = "";
			if (n > 1)
				snprintf(suffix, sizeof(suffix), "-%d", n);
			if (snprintf(path, sizeof(path), "%s/%.*s-%s%s.cbor", log_dir, (int)blen, base,
				     stamp, suffix) >= (int)sizeof(path)) {
				status = kr_cli_fail(KR_ETOOBIG, "log path");
				goto out;
			}
			rc = kr_audit_create(path, &r.log);
		}
		if (rc != KR_OK) {
			status = kr_cli_fail(rc, "creating the audit log %s", path);
			goto out;
		}
		r.log_path = path;
		printf("%s%s\nAudit log: %s\n", r.answers ? "REHEARSAL: " : "", r.script->title, path);
		kr_ceremony_show_hash("Script", r.script->sha256, sizeof(r.script->sha256));
		if ((rc = record_open(&r, script_path)) != KR_OK ||
		    (rc = record_people(&r)) != KR_OK) {
			status = kr_cli_fail(rc, "writing the audit log %s", path);
			goto out;
		}
	}
	for (size_t i = first; i < r.script->nsteps; i++) {
		rc = run_step(&r, &r.script->steps[i]);
		if (rc == STEP_FAILED || rc != KR_OK) {
			kr_cli_error("the ceremony stopped at step %s; the log %s is intact: fix the "
				     "cause, then continue with: keyroll-ceremony run %s --resume %s%s",
				     r.script->steps[i].id, r.log_path, script_path, r.log_path,
				     r.answers ? " --answers FILE" : "");
			status = rc == STEP_FAILED ? KR_EXIT_REJECTED : kr_exit_status(rc);
			goto out;
		}
	}
	if (r.answers != NULL && r.next_answer < r.answers->nsteps) {
		kr_cli_error("answers file: %zu answers left over after the last step (from step %s)",
			     r.answers->nsteps - r.next_answer, r.answers->steps[r.next_answer].step);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	if ((rc = seal_log(&r)) != KR_OK) {
		kr_cli_error("the log %s is complete but not sealed; seal it with: keyroll-ceremony "
			     "run %s --resume %s", r.log_path, script_path, r.log_path);
		status = kr_exit_status(rc);
	}
out:
	kr_audit_writer_close(r.log);
	kr_audit_view_free(view);
	if (r.own_people)
		free_people(r.people, r.npeople);
	kr_answers_free(r.answers);
	kr_script_free(r.script);
	kr_params_free(params, nparams);
	kr_params_free(merged, nmerged);
	return status;
}

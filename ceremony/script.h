/*
 * script.h - ceremony scripts and rehearsal answer files (YAML, libfyaml).
 *
 * A script has a title, roles, parameters, an audit-key section and acts of
 * steps; steps are numbered "ACT.STEP" from 1 in file order.  Each step names
 * one or more declared roles and does exactly one of:
 *   do: TEXT        a manual action, confirmed done/exception with initials
 *   run: [TOOL, ARG...]  a keyroll tool run from the runner's own directory
 *   hash: FILE      read out a file's SHA-256 (hex and PGP words)
 * "${name}" in strings is replaced by the parameter's value; an argument
 * holding a list parameter becomes one argument per element, each with the
 * argument's text around the reference ("--card=${cards}").  Unknown keys, undeclared roles and parameters are errors.
 * docs/ceremonies.md describes the format with examples.
 */
#ifndef KR_SCRIPT_H
#define KR_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

enum kr_step_kind { KR_STEP_MANUAL, KR_STEP_RUN, KR_STEP_HASH };

struct kr_param {
	char *name;
	char **values;
	size_t n;
	int list; /* declared as a sequence */
};

struct kr_step {
	char id[24]; /* "2.3" */
	size_t act;  /* index into kr_script.acts */
	char *title; /* the step's title, or its do: text */
	char **roles;
	size_t nroles;
	enum kr_step_kind kind;
	char *text;  /* manual: the instruction; hash: the file */
	char **argv; /* run: NULL-terminated, argv[0] is the tool name */
	size_t argc;
	char *note;  /* optional remark printed in the transcript */
};

struct kr_role {
	char *name; /* "CA" */
	char *desc; /* "Ceremony administrator" */
};

struct kr_script {
	char *title;
	char *description;
	struct kr_role *roles;
	size_t nroles;
	struct kr_param *params;
	size_t nparams;
	char **acts;
	size_t nacts;
	struct kr_step *steps;
	size_t nsteps;
	/* the audit key that seals the log */
	char *audit_module, *audit_token, *audit_key, *audit_pin_file;
	char **audit_cards; /* NULL-terminated, or NULL */
	uint8_t sha256[32]; /* of the script file */
};

/*
 * Load and check a script.  overrides (may be NULL) replace declared
 * parameters' values (an undeclared name is an error).  On failure why gets
 * a sentence naming the place ("acts[1].steps[2]: unknown key 'rol'").
 */
int kr_script_load(const char *path, const struct kr_param *overrides, size_t noverrides,
		   struct kr_script **out, char *why, size_t whysize);
void kr_script_free(struct kr_script *s);
/* The role named name, or NULL. */
const struct kr_role *kr_script_role(const struct kr_script *s, const char *name);
/* The index of the step with id, or -1. */
long kr_script_step_index(const struct kr_script *s, const char *id);

struct kr_participant {
	char *role, *name, *initials;
};

struct kr_answer {
	char *step;     /* "2.3" */
	char *result;   /* "done" or "exception" */
	char *initials;
	char *text;     /* exception text, or NULL */
};

struct kr_answers {
	struct kr_param *params;
	size_t nparams;
	struct kr_participant *people;
	size_t npeople;
	struct kr_answer *steps;
	size_t nsteps;
};

/* Load a rehearsal answers file (params, participants, steps in order). */
int kr_answers_load(const char *path, struct kr_answers **out, char *why, size_t whysize);
void kr_answers_free(struct kr_answers *a);

void kr_params_free(struct kr_param *p, size_t n);

#endif

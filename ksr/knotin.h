/*
 * knotin.h - Knot DNS KSR/SKR files in the tools (keyroll-ksr validate/show,
 * keyroll-skr sign): the --format / --bundle-validity / --bundle-step
 * options, reading either format, and writing an SKR in Knot's format.
 * Tool code: prints "error:" lines and returns exit statuses.
 *
 * The options are kept per process (a tool runs one subcommand), so the
 * shared loaders (kr_tool_load_doc, kr_tool_read_doc) need no new
 * parameters.  docs/knot-interop.md describes the mapping.
 */
#ifndef KR_KSR_KNOTIN_H
#define KR_KSR_KNOTIN_H

#include <getopt.h>
#include <stdint.h>

#include "ksr/policy.h"
#include "lib/ksr.h"

enum { KR_OPT_KNOT_FORMAT = 3000, KR_OPT_KNOT_VALIDITY, KR_OPT_KNOT_STEP };

/* getopt_long entries for the three options. */
/* clang-format off */
#define KR_KNOT_LONGOPTS                                                       \
	{"format", required_argument, NULL, KR_OPT_KNOT_FORMAT},               \
	{"bundle-validity", required_argument, NULL, KR_OPT_KNOT_VALIDITY},    \
	{"bundle-step", required_argument, NULL, KR_OPT_KNOT_STEP}
/* clang-format on */

/* Usage lines for them; what --format means differs per command. */
#define KR_KNOT_USAGE_BUNDLES                                                                      \
	"  --bundle-validity D a Knot KSR becomes bundles valid for D (ISO 8601 duration;\n"       \
	"                      default: the policy's max_signature_validity) ...\n"                \
	"  --bundle-step D     ... starting every D (default: max_bundle_interval)\n"

/* Handle a KR_OPT_KNOT_* option; 0 or the exit status for a bad value.
 * output: 1 if --format names the output (sign), 0 if the input. */
int kr_knot_option(int opt, const char *arg, int output);

/* Take the bundle validity and step a Knot KSR needs from pol, unless given
 * as options (validate, sign). */
void kr_knot_use_policy(const struct kr_policy *pol);

/* 1 if --format knot was given for the output (sign). */
int kr_knot_format_knot(void);

/*
 * Parse a KSR/SKR in ICANN XML or Knot text: auto-detected from the first
 * line unless --format forced one.  Same conventions as kr_ksr_parse()
 * (errbuf names the problem).  A Knot KSR without a bundle validity and
 * step from options or a policy uses the default policy's.
 */
int kr_knot_parse_doc(const uint8_t *buf, size_t len, struct kr_ksr_doc **out, char *errbuf,
		      size_t errlen);
/* The same for a file, with kr_ksr_read_file()'s conventions. */
int kr_knot_read_doc(const char *path, struct kr_ksr_doc **out, char *errbuf, size_t errlen);

/* skr as a Knot SKR (*text allocated, caller frees); "generated at" is now.
 * Returns an exit status after printing the reason for a refusal. */
int kr_knot_skr_text(const struct kr_ksr_doc *skr, int64_t now, char **text, size_t *len);

#endif

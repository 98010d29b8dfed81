/* ta_util.c - small helpers shared by the trust-anchor subcommands. */
#include <string.h>
#include <time.h>

#include "lib/cli.h"
#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/ta.h"

int ta_parse_time(const char *s, int64_t *t)
{
	if (strcmp(s, "now") == 0) {
		*t = (int64_t)time(NULL);
		return KR_OK;
	}
	return kr_time_parse(s, t);
}

int ta_load_anchor(const char *path, struct kr_anchor **out)
{
	char err[512] = "";
	int rc = kr_anchor_read_file(path, out, err, sizeof(err));
	if (rc == KR_OK)
		return KR_EXIT_OK;
	kr_cli_error("%s: %s", path, err[0] ? err : kr_strerror(rc));
	return kr_exit_status(rc);
}

size_t ta_valid_digests(const struct kr_anchor *a, int64_t t, size_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < a->ndigests; i++) {
		const struct kr_anchor_digest *d = &a->digests[i];
		if (!kr_anchor_digest_valid_at(d, t))
			continue;
		if (d->has_key && (d->dnskey.flags & KR_DNSKEY_REVOKE))
			continue; /* a revoked key is never a trust anchor */
		idx[n++] = i;
	}
	return n;
}

void ta_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

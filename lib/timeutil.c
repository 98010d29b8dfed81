#include <stdio.h>
#include <string.h>

#include "lib/error.h"
#include "lib/timeutil.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Read exactly n digits. */
static int digits(const char **p, int n, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return KR_EMALFORMED;
		x = x * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*v = x;
	return KR_OK;
}

static int parse_uint64(const char *s, int64_t *v)
{
	if (*s == '\0')
		return KR_EMALFORMED;
	int64_t x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return KR_EMALFORMED;
		if (x > (INT64_MAX - 9) / 10)
			return KR_ERANGE;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return KR_OK;
}

static int civil_valid(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) &&
	       h <= 23 && mi <= 59 && s <= 59;
}

int kr_time_parse(const char *s, int64_t *t)
{
	if (s == NULL || t == NULL)
		return KR_EINVAL;
	if (s[0] == '@')
		return parse_uint64(s + 1, t);
	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return KR_EMALFORMED;
	int64_t offset = 0;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &sec))
			return KR_EMALFORMED;
		if (*p == '.') {
			/* A fraction is accepted only if it is zero: no sub-second times. */
			p++;
			if (*p < '0' || *p > '9')
				return KR_EMALFORMED;
			while (*p == '0')
				p++;
			if (*p >= '1' && *p <= '9')
				return KR_ERANGE;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			unsigned oh, om;
			if (digits(&p, 2, &oh))
				return KR_EMALFORMED;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om) || oh > 23 || om > 59)
				return KR_EMALFORMED;
			offset = sign * (int64_t)(oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return KR_EMALFORMED;
	if (!civil_valid(y, mo, d, h, mi, sec))
		return KR_ERANGE;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	return KR_OK;
}

static int split(int64_t t, int64_t *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi,
		 unsigned *s)
{
	if (t < 0 || t > INT64_C(253402300799)) /* 9999-12-31T23:59:59 */
		return KR_ERANGE;
	int64_t days = t / 86400, rem = t % 86400;
	civil_from_days(days, y, mo, d);
	*h = (unsigned)(rem / 3600);
	*mi = (unsigned)(rem % 3600 / 60);
	*s = (unsigned)(rem % 60);
	return KR_OK;
}

static int time_format(int64_t t, char *buf, size_t size, const char *zone)
{
	int64_t y;
	unsigned mo, d, h, mi, s;
	int rc = split(t, &y, &mo, &d, &h, &mi, &s);
	if (rc)
		return rc;
	int n = snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02u%s", (long long)y, mo, d, h, mi,
			 s, zone);
	return n < 0 || (size_t)n >= size ? KR_ETOOBIG : KR_OK;
}

int kr_time_format(int64_t t, char *buf, size_t size)
{
	return time_format(t, buf, size, "Z");
}

int kr_time_format_icann(int64_t t, char *buf, size_t size)
{
	return time_format(t, buf, size, "+00:00");
}

int kr_duration_parse(const char *s, int64_t *secs)
{
	if (s == NULL || secs == NULL)
		return KR_EINVAL;
	const char *p = s;
	if (*p++ != 'P' || *p == '\0')
		return KR_EMALFORMED;
	int in_time = 0, any = 0;
	int64_t total = 0;
	char last = 0; /* designators must come in order */
	static const char order_date[] = "WD", order_time[] = "HMS";
	while (*p) {
		if (*p == 'T') {
			if (in_time || p[1] == '\0')
				return KR_EMALFORMED;
			in_time = 1;
			last = 0;
			p++;
			continue;
		}
		if (*p < '0' || *p > '9')
			return KR_EMALFORMED;
		int64_t n = 0;
		while (*p >= '0' && *p <= '9') {
			if (n > INT64_C(1000000000))
				return KR_ERANGE;
			n = n * 10 + (*p++ - '0');
		}
		char u = *p++;
		const char *order = in_time ? order_time : order_date;
		const char *pos = u ? strchr(order, u) : NULL;
		if (pos == NULL)
			return (!in_time && (u == 'Y' || u == 'M')) ? KR_ERANGE : KR_EMALFORMED;
		if (last && pos <= strchr(order, last))
			return KR_EMALFORMED;
		last = u;
		int64_t mult = in_time ? (u == 'H' ? 3600 : u == 'M' ? 60 : 1) : (u == 'W' ? 604800 : 86400);
		total += n * mult;
		any = 1;
	}
	if (!any)
		return KR_EMALFORMED;
	*secs = total;
	return KR_OK;
}

int kr_duration_format(int64_t secs, char *buf, size_t size)
{
	if (secs < 0 || buf == NULL)
		return KR_EINVAL;
	int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;
	char tpart[64] = "";
	int n;
	if (h || m || s) {
		n = snprintf(tpart, sizeof(tpart), "T");
		if (h)
			n += snprintf(tpart + n, sizeof(tpart) - n, "%lldH", (long long)h);
		if (m)
			n += snprintf(tpart + n, sizeof(tpart) - n, "%lldM", (long long)m);
		if (s)
			snprintf(tpart + n, sizeof(tpart) - n, "%lldS", (long long)s);
	}
	if (d)
		n = snprintf(buf, size, "P%lldD%s", (long long)d, tpart);
	else if (secs == 0)
		n = snprintf(buf, size, "PT0S");
	else
		n = snprintf(buf, size, "P%s", tpart);
	return n < 0 || (size_t)n >= size ? KR_ETOOBIG : KR_OK;
}

int kr_rrsig_time_parse(const char *s, uint32_t *t)
{
	if (s == NULL || t == NULL)
		return KR_EINVAL;
	size_t len = strlen(s);
	if (len == 14) {
		const char *p = s;
		unsigned y, mo, d, h, mi, sec;
		if (digits(&p, 4, &y) || digits(&p, 2, &mo) || digits(&p, 2, &d) ||
		    digits(&p, 2, &h) || digits(&p, 2, &mi) || digits(&p, 2, &sec))
			return KR_EMALFORMED;
		if (!civil_valid(y, mo, d, h, mi, sec))
			return KR_ERANGE;
		int64_t v = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
		*t = (uint32_t)v; /* serial arithmetic: mod 2^32 */
		return KR_OK;
	}
	int64_t v;
	int rc = parse_uint64(s, &v);
	if (rc)
		return rc;
	if (v > UINT32_MAX)
		return KR_ERANGE;
	*t = (uint32_t)v;
	return KR_OK;
}

int64_t kr_rrsig_time_abs(uint32_t t, int64_t ref)
{
	int64_t base = ref - (int64_t)(uint32_t)ref; /* multiple of 2^32 at or below ref */
	int64_t cand = base + t;
	if (cand - ref > INT64_C(2147483648))
		cand -= INT64_C(4294967296);
	else if (ref - cand > INT64_C(2147483648))
		cand += INT64_C(4294967296);
	return cand;
}

int kr_rrsig_time_format(uint32_t t, char *buf, size_t size)
{
	int64_t y;
	unsigned mo, d, h, mi, s;
	int rc = split((int64_t)t, &y, &mo, &d, &h, &mi, &s);
	if (rc)
		return rc;
	int n = snprintf(buf, size, "%04lld%02u%02u%02u%02u%02u", (long long)y, mo, d, h, mi, s);
	return n < 0 || (size_t)n >= size ? KR_ETOOBIG : KR_OK;
}

#include "config.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

enum kss_err
kss_json_parse_body(const char *buf, size_t len, json_t **out)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	/* DECODE_ANY so that a bare scalar is told apart from garbage: the
	 * former is a valid document of the wrong shape (104), the latter
	 * unparsable (103). ALLOW_NUL lets validation answer "invalid field"
	 * rather than "bad JSON" for a name holding \u0000. */
	v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL)
		return KSS_E_JSON_PARSE;
	if (!json_is_object(v)) {
		json_decref(v);
		return KSS_E_JSON_HASH;
	}
	*out = v;
	return KSS_OK;
}

/* The fewest significant digits that print d so that it reads back as d,
 * by trying each count. */
static int
digits_tried(double d)
{
	char buf[40];
	int p;

	for (p = 1; p < DBL_DECIMAL_DIG; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			return p;
	}
	return DBL_DECIMAL_DIG;
}

/* digits_tried(d) in one print and one strtod() for a normal double (a
 * KOReader percentage), not one per digit: "%.15g" reads back for all
 * but a few of them and drops the zeros that end it, so when it does,
 * the digits it shows from the first non-zero to the last are the
 * fewest; only 16 and 17 are left to try after it. A subnormal double
 * has fewer digits of precision than that reasoning needs. */
static int
digits_needed(double d)
{
	char buf[40];
	const char *p;
	int n = 0, last = 0;

	if (d != 0 && d > -DBL_MIN && d < DBL_MIN)
		return digits_tried(d);
	snprintf(buf, sizeof(buf), "%.15g", d);
	if (strtod(buf, NULL) != d) {
		snprintf(buf, sizeof(buf), "%.16g", d);
		return strtod(buf, NULL) == d ? 16 : DBL_DECIMAL_DIG;
	}
	for (p = buf; *p != '\0' && *p != 'e'; p++) {
		if (*p < '0' || *p > '9' || (n == 0 && *p == '0'))
			continue;
		n++;
		if (*p != '0')
			last = n;
	}
	return last > 0 ? last : 1;
}

void
kss_json_fmt_double(double d, char *buf, size_t size)
{
	snprintf(buf, size, "%.*g", digits_needed(d), d);
}

/* The largest number of digits any real inside v needs. */
static int
max_digits(const json_t *v)
{
	const char *k;
	const json_t *e;
	size_t i;
	int m = 1, n;

	if (json_is_real(v))
		return digits_needed(json_real_value(v));
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			if ((n = max_digits(e)) > m)
				m = n;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if ((n = max_digits(e)) > m)
				m = n;
		}
	}
	return m;
}

char *
kss_json_dump(const json_t *v, size_t *len)
{
	char *s;

	/* jansson prints every real with one precision, so the widest real
	 * decides it: more digits never break a round trip. A KOReader record
	 * holds one real (percentage), which thus prints shortest. */
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(max_digits(v)));
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

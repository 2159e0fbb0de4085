#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "valid.h"

int
kss_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
kss_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool
kss_valid_name(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	if (len == 0 || len > KSS_NAME_MAX)
		return false;
	while (i < len) {
		if ((n = kss_utf8_next(p + i, len - i, &cp)) == 0)
			return false;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == ':')
			return false;
		i += n;
	}
	return true;
}

bool
kss_valid_strings(const json_t *v, size_t max)
{
	const char *k;
	const json_t *e;
	size_t i;

	if (json_is_string(v))
		return json_string_length(v) <= max;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			if (strlen(k) > max || !kss_valid_strings(e, max))
				return false;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!kss_valid_strings(e, max))
				return false;
		}
	}
	return true;
}

size_t
kss_json_depth(const json_t *v, size_t max)
{
	const json_t *e;
	const char *k;
	size_t i, d, deepest = 0;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (max == 0)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			if ((d = kss_json_depth(e, max - 1)) > deepest)
				deepest = d;
		}
	} else {
		json_array_foreach(v, i, e) {
			if ((d = kss_json_depth(e, max - 1)) > deepest)
				deepest = d;
		}
	}
	return deepest + 1;
}

const char *
kss_json_str(const json_t *v, size_t *len)
{
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

/* A string field that can be stored: a JSON string without NUL. */
static bool
plain_string(const json_t *v)
{
	size_t len;
	const char *s = kss_json_str(v, &len);

	return s != NULL && memchr(s, '\0', len) == NULL;
}

json_t *
kss_valid_percentage(const json_t *v)
{
	json_t *n = NULL;
	const char *s;
	size_t len;

	if (json_is_number(v)) {
		n = json_incref((json_t *)v);
	} else if ((s = kss_json_str(v, &len)) != NULL) {
		/* A numeric string must be a JSON number exactly (no hex, no
		 * "inf", no spaces), so that it reads back as written. */
		json_error_t jerr;

		if (len == 0 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) ||
		    s[len - 1] < '0' || s[len - 1] > '9')
			return NULL;
		n = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
		if (n != NULL && !json_is_number(n)) {
			json_decref(n);
			n = NULL;
		}
	}
	if (n != NULL && json_is_real(n) && !isfinite(json_real_value(n))) {
		json_decref(n);
		n = NULL;
	}
	return n;
}

json_t *
kss_valid_text(const json_t *v)
{
	char buf[40];

	if (plain_string(v))
		return json_incref((json_t *)v);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v)) {
		kss_json_fmt_double(json_real_value(v), buf, sizeof(buf));
		return json_string(buf);
	}
	return NULL;
}

enum kss_err
kss_valid_progress(const json_t *body, json_t **rec)
{
	const json_t *v;
	json_t *r;
	const char *doc;
	size_t len;

	*rec = NULL;
	doc = kss_json_str(json_object_get(body, "document"), &len);
	if (doc == NULL || !kss_valid_name(doc, len))
		return KSS_E_DOCUMENT;
	if (!kss_valid_strings(body, KSS_FIELD_MAX))
		return KSS_E_INVALID;

	if ((r = json_object()) == NULL)
		return KSS_E_SERVER;
	/* json_object_set_new() fails on, and releases, a NULL value. */
	if (json_object_set_new(r, "document", json_stringn(doc, len)) ||
	    json_object_set_new(r, "progress",
		kss_valid_text(json_object_get(body, "progress"))) ||
	    json_object_set_new(r, "percentage",
		kss_valid_percentage(json_object_get(body, "percentage"))))
		goto invalid;

	if (!plain_string(v = json_object_get(body, "device")) ||
	    json_object_set(r, "device", (json_t *)v))
		goto invalid;
	/* device_id is optional (protocol.md §4.3); null counts as absent. */
	v = json_object_get(body, "device_id");
	if (v != NULL && !json_is_null(v) &&
	    (!plain_string(v) || json_object_set(r, "device_id", (json_t *)v)))
		goto invalid;
	v = json_object_get(body, "metadata");
	if (v != NULL && !json_is_null(v) && (!json_is_object(v) ||
	    kss_json_depth(v, KSS_METADATA_DEPTH) > KSS_METADATA_DEPTH ||
	    json_object_set(r, "metadata", (json_t *)v)))
		goto invalid;
	*rec = r;
	return KSS_OK;
invalid:
	json_decref(r);
	return KSS_E_INVALID;
}

/* Copies member name of rec into out, converted by conv; a member that is
 * missing, null or of a type that does not convert is left out, so records
 * the original kss wrote (nulls, extra keys) answer cleanly. */
static int
copy(json_t *out, const json_t *rec, const char *name,
    json_t *(*conv)(const json_t *))
{
	const json_t *v = json_object_get(rec, name);
	json_t *n;

	if (v == NULL || json_is_null(v) || (n = conv(v)) == NULL)
		return 0;
	return json_object_set_new(out, name, n);
}

/* A stored real (the original kss may have written one) converts only
 * when an integer can hold it: the cast of 1e300 or NaN is undefined. */
static json_t *
conv_timestamp(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_incref((json_t *)v);
	if (!json_is_real(v))
		return NULL;
	d = json_real_value(v);
	/* 2^63 is exact as a double; every double below it converts. */
	if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
		return NULL;
	return json_integer((json_int_t)d);
}

static json_t *
conv_object(const json_t *v)
{
	return json_is_object(v) ? json_incref((json_t *)v) : NULL;
}

json_t *
kss_valid_record(const json_t *rec, const char *doc, size_t len)
{
	json_t *out = json_pack("{s:s%}", "document", doc, len);

	if (out == NULL ||
	    copy(out, rec, "percentage", kss_valid_percentage) ||
	    copy(out, rec, "progress", kss_valid_text) ||
	    copy(out, rec, "device", kss_valid_text) ||
	    copy(out, rec, "device_id", kss_valid_text) ||
	    copy(out, rec, "timestamp", conv_timestamp) ||
	    copy(out, rec, "metadata", conv_object)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

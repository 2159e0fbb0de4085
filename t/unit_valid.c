/* Unit tests: name and field validation, JSON number text, config. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "json.h"
#include "tap.h"
#include "valid.h"

static json_t *
J(const char *s)
{
	return json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

static void
names(void)
{
	char big[KSS_NAME_MAX + 2];

	ok(kss_valid_name("bob", 3), "plain name");
	ok(kss_valid_name("0b229176d4e8db7f6d2b5a4952368d7a", 32), "KOReader id");
	ok(kss_valid_name("a b/../é", strlen("a b/../é")), "spaces, slash, dots, UTF-8");
	ok(!kss_valid_name("", 0), "empty refused");
	ok(!kss_valid_name("a:b", 3), "colon refused");
	ok(!kss_valid_name("a\0b", 3), "NUL refused");
	ok(!kss_valid_name("a\tb", 3), "tab refused");
	ok(!kss_valid_name("a\x7f", 2), "DEL refused");
	ok(!kss_valid_name("a\xc2\x85", 3), "C1 control refused");
	ok(!kss_valid_name("\xff", 1), "invalid byte refused");
	ok(!kss_valid_name("\xc0\xaf", 2), "overlong refused");
	ok(!kss_valid_name("\xed\xa0\x80", 3), "surrogate refused");
	ok(!kss_valid_name("\xe2\x82", 2), "truncated sequence refused");
	memset(big, 'a', sizeof(big));
	ok(kss_valid_name(big, KSS_NAME_MAX), "128 bytes accepted");
	ok(!kss_valid_name(big, KSS_NAME_MAX + 1), "129 bytes refused");
}

static void
numbers(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"0.3188", "0.3188"}, {"0", "0"}, {"1", "1"}, {"0.5", "0.5"},
		{"\"0.5\"", "0.5"}, {"\"0\"", "0"}, {"1.0", "1.0"},
		{"0.1", "0.1"}, {"1e-7", "1e-7"}, {"0.30000000000000004",
		"0.30000000000000004"}, {"\"1e2\"", "1e2"},
		{"0.1234567890123456", "0.1234567890123456"},
		{"5e-324", "5e-324"}, {"2.5e-310", "2.5e-310"},
	};
	static const char *const bad[] = {
		"\"inf\"", "\"nan\"", "\"0x10\"", "\" 0.5\"", "\"\"", "\"abc\"",
		"null", "true", "[]", "{}",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *in = J(cases[i].in), *n = kss_valid_percentage(in);
		char *s = n ? kss_json_dump(n, NULL) : NULL;

		is_str(s, cases[i].out, "percentage %s reads back as %s",
		    cases[i].in, cases[i].out);
		free(s);
		json_decref(n);
		json_decref(in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *in = J(bad[i]), *n = kss_valid_percentage(in);

		ok(n == NULL, "percentage %s refused", bad[i]);
		json_decref(n);
		json_decref(in);
	}
}

static void
texts(void)
{
	json_t *in, *t;

	in = J("56");
	t = kss_valid_text(in);
	is_str(json_string_value(t), "56", "integer progress becomes \"56\"");
	json_decref(t);
	json_decref(in);
	in = J("2.5");
	t = kss_valid_text(in);
	is_str(json_string_value(t), "2.5", "real progress becomes \"2.5\"");
	json_decref(t);
	json_decref(in);
	in = J("true");
	ok(kss_valid_text(in) == NULL, "boolean progress refused");
	json_decref(in);
}

static enum kss_err
check(const char *body, json_t **rec)
{
	json_t *b = J(body);
	enum kss_err e = kss_valid_progress(b, rec);

	json_decref(b);
	return e;
}

static void
progress(void)
{
	static const struct {
		const char *body;
		enum kss_err want;
		const char *why;
	} cases[] = {
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\"}", KSS_OK, "minimal body"},
		{"{\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_DOCUMENT, "no document"},
		{"{\"document\":\"\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_DOCUMENT, "empty document"},
		{"{\"document\":\"a:b\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_DOCUMENT, "document with colon"},
		{"{\"document\":5,\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_DOCUMENT, "number document"},
		{"{\"document\":\"d\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_INVALID, "no progress"},
		{"{\"document\":\"d\",\"progress\":null,\"percentage\":0.5,\"device\":\"x\"}", KSS_E_INVALID, "null progress"},
		{"{\"document\":\"d\",\"progress\":false,\"percentage\":0.5,\"device\":\"x\"}", KSS_E_INVALID, "false progress"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"device\":\"x\"}", KSS_E_INVALID, "no percentage"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":\"half\",\"device\":\"x\"}", KSS_E_INVALID, "text percentage"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5}", KSS_E_INVALID, "no device"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":null}", KSS_E_INVALID, "null device"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"\"}", KSS_OK, "empty device accepted"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\",\"device_id\":7}", KSS_E_INVALID, "number device_id"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\",\"device_id\":null}", KSS_OK, "null device_id is absent"},
		{"{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"x\",\"metadata\":\"t\"}", KSS_E_INVALID, "metadata not an object"},
		{"{\"document\":\"d\",\"progress\":\"a\\u0000b\",\"percentage\":0.5,\"device\":\"x\"}", KSS_E_INVALID, "NUL in progress"},
	};
	json_t *rec;
	size_t i;
	char big[KSS_FIELD_MAX + 128];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(check(cases[i].body, &rec), cases[i].want, "%s",
		    cases[i].why);
		json_decref(rec);
	}
	is_int(check("{\"document\":\"d\",\"progress\":7,\"percentage\":\"0.25\","
	    "\"device\":\"x\",\"metadata\":{\"title\":\"T\"},\"junk\":1}", &rec),
	    KSS_OK, "typed fields converted");
	is_str(json_string_value(json_object_get(rec, "progress")), "7",
	    "progress stored as text");
	ok(json_is_real(json_object_get(rec, "percentage")),
	    "percentage stored as a number");
	ok(json_is_object(json_object_get(rec, "metadata")), "metadata kept");
	ok(json_object_get(rec, "junk") == NULL, "unknown field dropped");
	json_decref(rec);

	/* metadata nested KSS_METADATA_DEPTH levels, then one more. */
	{
		char deep[128 + 6 * (KSS_METADATA_DEPTH + 1)];
		int k, o;

		for (k = KSS_METADATA_DEPTH; k <= KSS_METADATA_DEPTH + 1; k++) {
			o = snprintf(deep, sizeof(deep), "{\"document\":\"d\","
			    "\"progress\":\"p\",\"percentage\":0.5,\"device\":"
			    "\"x\",\"metadata\":");
			for (int j = 1; j < k; j++)
				o += snprintf(deep + o, sizeof(deep) - (size_t)o,
				    "{\"a\":");
			o += snprintf(deep + o, sizeof(deep) - (size_t)o, "{}");
			for (int j = 0; j < k; j++)
				deep[o++] = '}';
			deep[o] = '\0';
			is_int(check(deep, &rec), k <= KSS_METADATA_DEPTH ?
			    KSS_OK : KSS_E_INVALID, "metadata %d levels deep: %s",
			    k, k <= KSS_METADATA_DEPTH ? "kept" : "refused");
			json_decref(rec);
		}
	}
	{
		json_t *v = json_loads("[1, {\"a\": [[]]}, {}]", 0, NULL);

		is_int(kss_json_depth(v, 10), 4, "depth: an array's deepest member");
		is_int(kss_json_depth(v, 2), 3, "depth: counted to max + 1 at most");
		is_int(kss_json_depth(json_object_get(v, "x"), 5), 0,
		    "depth: nothing is 0");
		json_decref(v);
	}

	snprintf(big, sizeof(big), "{\"document\":\"d\",\"progress\":\"p\","
	    "\"percentage\":0.5,\"device\":\"x\",\"z\":\"%0*d\"}",
	    KSS_FIELD_MAX, 0);
	is_int(check(big, &rec), KSS_OK, "a 4 KiB string accepted");
	json_decref(rec);
	snprintf(big, sizeof(big), "{\"document\":\"d\",\"progress\":\"p\","
	    "\"percentage\":0.5,\"device\":\"x\",\"z\":\"%0*d\"}",
	    KSS_FIELD_MAX + 1, 0);
	is_int(check(big, &rec), KSS_E_INVALID, "a 4 KiB + 1 string refused");
	json_decref(rec);
}

static void
config_bools(void)
{
	bool b;

	ok(kss_config_bool("TRUE", &b) == 0 && b, "TRUE is true");
	ok(kss_config_bool("yes", &b) == 0 && b, "yes is true");
	ok(kss_config_bool("1", &b) == 0 && b, "1 is true");
	ok(kss_config_bool("false", &b) == 0 && !b, "false is false");
	ok(kss_config_bool("", &b) == 0 && !b, "empty is false");
	ok(kss_config_bool("ture", &b) < 0, "a typo is an error");
}

static void
config_threads(void)
{
	static const char *const bad[] = {"0", "65", "-1", "+2", " 2", "2 ",
	    "2x", "two", "0x4", "99999999999999999999"};
	size_t i;
	int n;

	ok(kss_config_threads(NULL, &n) == 0 && n == KSS_THREADS_DEFAULT,
	    "KSS_THREADS unset: the default");
	ok(kss_config_threads("", &n) == 0 && n == KSS_THREADS_DEFAULT,
	    "KSS_THREADS empty: the default");
	ok(kss_config_threads("1", &n) == 0 && n == 1, "KSS_THREADS 1");
	ok(kss_config_threads("64", &n) == 0 && n == 64, "KSS_THREADS 64");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = -7;
		ok(kss_config_threads(bad[i], &n) < 0 && n == -7,
		    "KSS_THREADS '%s' refused", bad[i]);
	}
}

int
main(void)
{
	names();
	numbers();
	texts();
	progress();
	config_bools();
	config_threads();
	return tap_done();
}

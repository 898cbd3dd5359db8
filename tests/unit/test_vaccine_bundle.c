/* Signed vaccine bundles: a round trip verifies; an altered payload, a
 * missing signature and an untrusted key are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "temp_name.h"

#include "act/vaccine_bundle.h"
#include "record/json_text.h"

struct fixture {
	char dir[64], key[128], pub[128], other[128], other_pub[128];
};

static void write_public(void *key, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(PEM_write_PUBKEY(f, key));
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	void *key, *other;

	if (!f || !mkdtemp(temp_name(f->dir, sizeof(f->dir), "/tmp/vg-test-bundle-")))
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/sign.pem", f->dir);
	snprintf(f->pub, sizeof(f->pub), "%s/sign.pub", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other.pem", f->dir);
	snprintf(f->other_pub, sizeof(f->other_pub), "%s/other.pub", f->dir);
	key = bundle_signing_key(f->key, err, sizeof(err));
	other = bundle_signing_key(f->other, err, sizeof(err));
	if (!key || !other)
		return -1;
	write_public(key, f->pub);
	write_public(other, f->other_pub);
	bundle_key_free(key);
	bundle_key_free(other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *files[] = {f->key, f->pub, f->other, f->other_pub};

	for (size_t i = 0; i < 4; i++)
		unlink(files[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *signed_bundle(const char *key_path)
{
	struct json_object *payload = json_tokener_parse(
	    "{\"vaccines\":[{\"id\":1,\"sha256\":\"00ff\",\"expires_ns\":123}]}");
	char err[256], *bundle;
	void *key = bundle_signing_key(key_path, err, sizeof(err));

	assert_non_null(key);
	bundle = bundle_sign(key, payload, err, sizeof(err));
	assert_non_null(bundle);
	bundle_key_free(key);
	json_object_put(payload);
	return bundle;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char *trusted[] = {f->other_pub, f->pub}, err[256];
	char *bundle = signed_bundle(f->key);
	struct json_object *payload =
	    bundle_verify(bundle, strlen(bundle), trusted, 2, err, sizeof(err));

	assert_non_null(payload);
	assert_string_equal(json_text_line(payload),
			    "{\"vaccines\":[{\"id\":1,\"sha256\":\"00ff\",\"expires_ns\":123}]}");
	json_object_put(payload);
	free(bundle);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	char *trusted[] = {f->pub}, *others[] = {f->other_pub}, err[256];
	char *bundle = signed_bundle(f->key), *at;
	struct json_object *obj;

	/* Signed by a key that is not trusted. */
	assert_null(bundle_verify(bundle, strlen(bundle), others, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "not trusted"));
	/* No trusted key at all: nothing imports. */
	assert_null(bundle_verify(bundle, strlen(bundle), NULL, 0, err, sizeof(err)));
	/* One altered byte in the signed payload. */
	at = strstr(bundle, "00ff");
	assert_non_null(at);
	at[0] = '1';
	assert_null(bundle_verify(bundle, strlen(bundle), trusted, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "altered"));
	at[0] = '0';
	/* Unsigned. */
	obj = json_tokener_parse(bundle);
	json_object_object_del(obj, "signature");
	assert_null(bundle_verify(json_text_line(obj), strlen(json_text_line(obj)), trusted, 1, err,
				  sizeof(err)));
	assert_non_null(strstr(err, "unsigned"));
	json_object_put(obj);
	/* Not a bundle. */
	assert_null(bundle_verify("[1,2]", 5, trusted, 1, err, sizeof(err)));
	assert_null(bundle_verify("{\"format\":\"other\"}", 18, trusted, 1, err, sizeof(err)));
	free(bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

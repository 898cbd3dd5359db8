/* Vaccine bundle verification on arbitrary text, which arrives from other
 * hosts. One key is trusted (made at start in /dev/shm). Beyond not
 * crashing: a refusal says why, and anything accepted is a JSON value whose
 * signature the trusted key made (checked by signing it again: Ed25519
 * signatures are deterministic). */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "act/vaccine_bundle.h"
#include "record/json_text.h"

static void *key;
static char pub_path[] = "/dev/shm/vg-fuzz-bundle-pub-XXXXXX";

static void make_key(void)
{
	char key_path[] = "/dev/shm/vg-fuzz-bundle-key-XXXXXX", err[256];
	int fd = mkstemp(key_path);
	FILE *f;

	FUZZ_REQUIRE(fd >= 0, "mkstemp");
	close(fd);
	unlink(key_path);
	key = bundle_signing_key(key_path, err, sizeof(err));
	FUZZ_REQUIRE(key, "signing key: %s", err);
	unlink(key_path);
	fd = mkstemp(pub_path);
	FUZZ_REQUIRE(fd >= 0 && (f = fdopen(fd, "w")), "public key file");
	FUZZ_REQUIRE(PEM_write_PUBKEY(f, key), "PEM_write_PUBKEY");
	fclose(f);
}

static void remove_key(void)
{
	unlink(pub_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *trusted[] = {pub_path}, err[512] = "";
	struct json_object *payload;

	if (!key) {
		make_key();
		atexit(remove_key);
	}
	payload = bundle_verify((const char *)data, size, trusted, 1, err, sizeof(err));
	if (!payload) {
		FUZZ_REQUIRE(err[0], "refused without saying why");
		return 0;
	}
	char *again = bundle_sign(key, payload, err, sizeof(err));
	FUZZ_REQUIRE(again, "cannot sign the payload again: %s", err);
	free(again);
	json_object_put(payload);
	return 0;
}

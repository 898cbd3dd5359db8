#include "act/vaccine_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "record/json_text.h"

#define FORMAT	   "vigilante-vaccines/1"
#define ED25519_PK 32
#define ED25519_SG 64

void bundle_key_free(void *key)
{
	EVP_PKEY_free(key);
}

void *bundle_signing_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	FILE *f = fopen(path, "re");
	int fd;

	if (f) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
			snprintf(err, errlen, "%s: not an Ed25519 private key (PEM)", path);
			EVP_PKEY_free(key);
			return NULL;
		}
		return key;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!key || !f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || fflush(f)) {
		snprintf(err, errlen, "%s: creating the signing key: %s", path,
			 key ? strerror(errno) : "key generation failed");
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		unlink(path);
		EVP_PKEY_free(key);
		return NULL;
	}
	fclose(f);
	return key;
}

static int base64_decode(const char *text, unsigned char *out, size_t max)
{
	size_t len = strlen(text);
	unsigned char *buf;
	int n;

	if (len % 4 || len / 4 * 3 > max + 2)
		return -1;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n >= 0) {
		n -= (len >= 1 && text[len - 1] == '=') + (len >= 2 && text[len - 2] == '=');
		if ((size_t)n > max)
			n = -1;
		else
			memcpy(out, buf, (size_t)n);
	}
	free(buf);
	return n;
}

char *bundle_sign(void *key, struct json_object *payload, char *err, size_t errlen)
{
	const char *text = json_text_line(payload);
	unsigned char sig[ED25519_SG], pub[ED25519_PK];
	size_t sig_len = sizeof(sig), pub_len = sizeof(pub);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct json_object *bundle;
	char *out = NULL;

	if (!ctx || !EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) ||
	    !EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)text, strlen(text)) ||
	    !EVP_PKEY_get_raw_public_key(key, pub, &pub_len)) {
		snprintf(err, errlen, "signing the bundle failed");
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	EVP_MD_CTX_free(ctx);
	bundle = json_object_new_object();
	json_object_object_add(bundle, "format", json_object_new_string(FORMAT));
	json_object_object_add(bundle, "payload", json_object_new_string(text));
	json_object_object_add(bundle, "key", json_text_base64(pub, pub_len));
	json_object_object_add(bundle, "signature", json_text_base64(sig, sig_len));
	out = strdup(json_text_line(bundle));
	json_object_put(bundle);
	return out;
}

/* The trusted key whose raw bytes are pub, or NULL. */
static EVP_PKEY *trusted_key(const unsigned char *pub, char *const *trusted, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char raw[ED25519_PK];
		size_t raw_len = sizeof(raw);
		FILE *f = fopen(trusted[i], "re");
		EVP_PKEY *key = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

		if (f)
			fclose(f);
		if (key && EVP_PKEY_get_raw_public_key(key, raw, &raw_len) &&
		    raw_len == ED25519_PK && !memcmp(raw, pub, ED25519_PK))
			return key;
		EVP_PKEY_free(key);
	}
	return NULL;
}

static const char *field(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

struct json_object *bundle_verify(const char *text, size_t len, char *const *trusted, size_t n,
				  char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *bundle = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	unsigned char pub[ED25519_PK], sig[ED25519_SG];
	const char *payload, *format;
	struct json_object *out = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;

	json_tokener_free(tok);
	if (!bundle || !json_object_is_type(bundle, json_type_object)) {
		snprintf(err, errlen, "not a vaccine bundle: not a JSON object");
		goto out;
	}
	format = field(bundle, "format");
	payload = field(bundle, "payload");
	if (!format || strcmp(format, FORMAT) || !payload) {
		snprintf(err, errlen, "not a %s bundle", FORMAT);
		goto out;
	}
	if (!field(bundle, "signature") || !field(bundle, "key") ||
	    base64_decode(field(bundle, "key"), pub, sizeof(pub)) != ED25519_PK ||
	    base64_decode(field(bundle, "signature"), sig, sizeof(sig)) != ED25519_SG) {
		snprintf(err, errlen, "the bundle is unsigned or its signature is malformed");
		goto out;
	}
	key = trusted_key(pub, trusted, n);
	if (!key) {
		snprintf(err, errlen,
			 "the bundle is signed by a key that is not trusted "
			 "(vaccination.trusted_keys)");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) ||
	    EVP_DigestVerify(ctx, sig, sizeof(sig), (const unsigned char *)payload,
			     strlen(payload)) != 1) {
		snprintf(err, errlen, "the bundle's signature does not verify: it was altered");
		goto out;
	}
	out = json_tokener_parse(payload);
	if (!out)
		snprintf(err, errlen, "the signed payload is not JSON");
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	json_object_put(bundle);
	return out;
}

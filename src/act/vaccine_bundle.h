/* Signed vaccine bundles, for sharing vaccines between hosts. A bundle is a
 * JSON object:
 *   {"format": "vigilante-vaccines/1",
 *    "payload": "<JSON text: {\"vaccines\": [...]}>",
 *    "key": "<base64 raw Ed25519 public key of the signer>",
 *    "signature": "<base64 Ed25519 signature over the payload's bytes>"}
 * The payload is signed as text, so no re-encoding can change what was
 * signed. Import verifies the signature and that the key is one of the
 * trusted keys, and refuses anything else. */
#ifndef VG_ACT_VACCINE_BUNDLE_H
#define VG_ACT_VACCINE_BUNDLE_H

#include <stddef.h>

#include <json-c/json.h>

/* Loads the signing key at path, creating a new Ed25519 key there (mode
 * 0600) if there is none. Returns an EVP_PKEY *, or NULL with err. */
void *bundle_signing_key(const char *path, char *err, size_t errlen);
void bundle_key_free(void *key);

/* Signs payload (a JSON object, not consumed) into a bundle; NULL on error. */
char *bundle_sign(void *key, struct json_object *payload, char *err, size_t errlen);

/* Verifies a bundle against the public keys (PEM files) in trusted[0..n);
 * returns the payload object (the caller puts it), or NULL with err naming
 * what is wrong. */
struct json_object *bundle_verify(const char *text, size_t len, char *const *trusted, size_t n,
				  char *err, size_t errlen);

#endif

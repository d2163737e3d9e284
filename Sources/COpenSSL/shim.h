#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rsa.h>
#include <openssl/err.h>
#include <openssl/sha.h>

/// SHA-256 of `length` bytes at `input` into `output` (32 bytes) through OpenSSL's low-level
/// SHA-256 on a context on the stack: the same block function as EVP (with the CPU's SHA
/// extensions where it has them), without EVP's per-digest provider dispatch and the free and
/// re-allocation of its algorithm context on every `EVP_DigestInit_ex`. Deprecated since OpenSSL
/// 3.0, still built and exported by default; this hashes identifiers for ad platforms, where no
/// FIPS provider is required, so bypassing the provider loses nothing. Returns 1 on success.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static inline int relay_sha256_digest(const void *input, size_t length, unsigned char *output) {
    SHA256_CTX context;
    return SHA256_Init(&context) == 1 && SHA256_Update(&context, input, length) == 1 && SHA256_Final(output, &context) == 1;
}
#pragma GCC diagnostic pop

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rsa.h>
#include <openssl/err.h>

/// SHA-256 of `length` bytes at `input` into `output` (32 bytes) through this thread's reusable
/// digest context: `EVP_Digest` creates and frees a context (and its provider state) on every
/// call; a context re-initialised with the same fetched digest keeps them. One context per
/// thread that hashes, kept for the thread's lifetime. Returns 1 on success.
static inline int relay_sha256_digest(const EVP_MD *md, const void *input, size_t length, unsigned char *output) {
    static __thread EVP_MD_CTX *context = NULL;
    if (context == NULL && (context = EVP_MD_CTX_new()) == NULL) return 0;
    unsigned int size = 0;
    return EVP_DigestInit_ex(context, md, NULL) == 1 && EVP_DigestUpdate(context, input, length) == 1 &&
           EVP_DigestFinal_ex(context, output, &size) == 1 && size == 32;
}

// The digest helpers conversion-relay writes itself, over OpenSSL: a target of their own (not a
// header of the COpenSSL system module) so that SwiftPM rebuilds what uses them when they change,
// and apart from CRelayShims so that RelayCrypto needs OpenSSL only.
#ifndef CRELAYDIGEST_H
#define CRELAYDIGEST_H

#include <stddef.h>
#include <string.h>
#include <openssl/sha.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Copies `count` bytes (fewer than 64) from `from` to `to` in line: two or four possibly
/// overlapping loads and stores of the widest size that fits, no loop and no call (a `memcpy` of
/// a run-time length is a call). Reads and writes only the `count` bytes.
static inline __attribute__((always_inline)) void relay_copy_under64(unsigned char *to, const unsigned char *from, size_t count) {
    if (count >= 16) {
#if defined(__SSE2__)
        __m128i first = _mm_loadu_si128((const __m128i *)from);
        __m128i last = _mm_loadu_si128((const __m128i *)(from + count - 16));
        if (count > 32) {
            __m128i second = _mm_loadu_si128((const __m128i *)(from + 16));
            __m128i third = _mm_loadu_si128((const __m128i *)(from + count - 32));
            _mm_storeu_si128((__m128i *)(to + 16), second);
            _mm_storeu_si128((__m128i *)(to + count - 32), third);
        }
        _mm_storeu_si128((__m128i *)to, first);
        _mm_storeu_si128((__m128i *)(to + count - 16), last);
#else
        memcpy(to, from, count);
#endif
    } else if (count >= 8) {
        unsigned long long first, last;
        memcpy(&first, from, 8);
        memcpy(&last, from + count - 8, 8);
        memcpy(to, &first, 8);
        memcpy(to + count - 8, &last, 8);
    } else if (count >= 4) {
        unsigned int first, last;
        memcpy(&first, from, 4);
        memcpy(&last, from + count - 4, 4);
        memcpy(to, &first, 4);
        memcpy(to + count - 4, &last, 4);
    } else if (count > 0) {
        unsigned char first = from[0], middle = from[count / 2], last = from[count - 1];
        to[0] = first;
        to[count / 2] = middle;
        to[count - 1] = last;
    }
}

/// SHA-256 of `length` bytes at `input` into `output` (32 bytes) through OpenSSL's low-level
/// SHA-256 on a context on the stack: the same block function as EVP (with the CPU's SHA
/// extensions where it has them), without EVP's per-digest provider dispatch and the free and
/// re-allocation of its algorithm context on every `EVP_DigestInit_ex`. Deprecated since OpenSSL
/// 3.0, still built and exported by default; this hashes identifiers for ad platforms, where no
/// FIPS provider is required, so bypassing the provider loses nothing. Returns 1 on success.
///
/// The message is padded here (FIPS 180-4 §5.1.1: a 1 bit, zeros, the length in bits as a
/// 64-bit big-endian number, to a multiple of 64 bytes) and each block handed to
/// `SHA256_Transform`, the block function itself; the digest is the context's eight words, big
/// endian (§6.2.2). Most identifiers fit in one block, and `SHA256_Update`/`SHA256_Final`'s
/// buffering, byte counting and cleansing of the context cost as much again as the block
/// function with the SHA extensions. The padded tail on the stack is not cleansed: it holds the
/// normalised identifier the caller holds in memory anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/// The last two blocks of a message whose last `rest` bytes (56 to 63) leave no room for the
/// length in their block: out of line, so that the one-block path stays small enough to inline.
static __attribute__((noinline)) void relay_sha256_two_tail_blocks(
    SHA256_CTX *context, const unsigned char *rest, size_t count, unsigned long long bits) {
    unsigned char tail[128] = {0};
    relay_copy_under64(tail, rest, count);
    tail[count] = 0x80;
    memcpy(tail + 120, &bits, 8);
    SHA256_Transform(context, tail);
    SHA256_Transform(context, tail + 64);
}

static inline __attribute__((always_inline)) int relay_sha256_digest(const void *input, size_t length, unsigned char *output) {
    SHA256_CTX context;
    if (SHA256_Init(&context) != 1) return 0;
    const unsigned char *bytes = (const unsigned char *)input;
    size_t full = length & ~(size_t)63;
    for (size_t offset = 0; offset < full; offset += 64) SHA256_Transform(&context, bytes + offset);
    size_t rest = length - full;
    unsigned long long bits = __builtin_bswap64((unsigned long long)length << 3);
    if (rest < 56) {
        // The usual case: the rest, the 1 bit and the length in one block.
        unsigned char tail[64] = {0};
        relay_copy_under64(tail, bytes + full, rest);
        tail[rest] = 0x80;
        memcpy(tail + 56, &bits, 8);
        SHA256_Transform(&context, tail);
    } else {
        relay_sha256_two_tail_blocks(&context, bytes + full, rest, bits);
    }
    // Two words a store, spelled out (a loop is vectorised into byte shuffles that cost more).
    for (int pair = 0; pair < 4; pair++) {
        unsigned long long value = (unsigned long long)__builtin_bswap32(context.h[2 * pair])
            | (unsigned long long)__builtin_bswap32(context.h[2 * pair + 1]) << 32;
        memcpy(output + 8 * pair, &value, 8);
    }
    return 1;
}
#pragma GCC diagnostic pop

/// Writes the 64 lowercase hexadecimal digits of the 32 bytes at `digest` to `output`: with SSE2
/// (every x86-64 CPU), 16 bytes at a time, their nibbles split, interleaved and turned into
/// digits by compare and add; elsewhere a byte at a time.
static inline void relay_hex_digits32(const unsigned char *digest, unsigned char *output) {
#if defined(__SSE2__)
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i nine = _mm_set1_epi8(9);
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i letters = _mm_set1_epi8('a' - '0' - 10);
    for (int half = 0; half < 2; half++) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(digest + 16 * half));
        __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
        __m128i low = _mm_and_si128(bytes, nibble);
        __m128i first = _mm_unpacklo_epi8(high, low);
        __m128i second = _mm_unpackhi_epi8(high, low);
        first = _mm_add_epi8(_mm_add_epi8(first, zero), _mm_and_si128(_mm_cmpgt_epi8(first, nine), letters));
        second = _mm_add_epi8(_mm_add_epi8(second, zero), _mm_and_si128(_mm_cmpgt_epi8(second, nine), letters));
        _mm_storeu_si128((__m128i *)(output + 32 * half), first);
        _mm_storeu_si128((__m128i *)(output + 32 * half + 16), second);
    }
#else
    static const char digits[16] = "0123456789abcdef";
    for (int index = 0; index < 32; index++) {
        output[2 * index] = (unsigned char)digits[digest[index] >> 4];
        output[2 * index + 1] = (unsigned char)digits[digest[index] & 0x0F];
    }
#endif
}

#endif

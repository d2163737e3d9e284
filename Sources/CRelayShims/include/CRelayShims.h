// Every C function conversion-relay writes itself. Swift 6 cannot call C variadic functions,
// so each variadic libcurl / librdkafka entry point we need gets a typed wrapper here.
#ifndef CRELAYSHIMS_H
#define CRELAYSHIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include "RelayJemallocSettings.h"

typedef size_t (*relay_cshim_write_callback)(char *data, size_t size, size_t nmemb, void *userdata);
typedef size_t (*relay_cshim_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*relay_cshim_seek_callback)(void *userdata, curl_off_t offset, int origin);

CURLcode relay_cshim_curl_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode relay_cshim_curl_setopt_string(CURL *easy, CURLoption option, const char *value);
CURLcode relay_cshim_curl_setopt_pointer(CURL *easy, CURLoption option, void *value);
CURLcode relay_cshim_curl_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value);
CURLcode relay_cshim_curl_setopt_off_t(CURL *easy, CURLoption option, curl_off_t value);
CURLcode relay_cshim_curl_setopt_write_function(CURL *easy, relay_cshim_write_callback callback);
CURLcode relay_cshim_curl_setopt_read_function(CURL *easy, relay_cshim_read_callback callback);
CURLcode relay_cshim_curl_setopt_seek_function(CURL *easy, relay_cshim_seek_callback callback);
CURLcode relay_cshim_curl_getinfo_long(CURL *easy, CURLINFO info, long *value);
CURLcode relay_cshim_curl_getinfo_pointer(CURL *easy, CURLINFO info, void **value);
CURLMcode relay_cshim_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// Produces one message with `rd_kafka_producev`. `headers` ownership passes to librdkafka on
/// success (RD_KAFKA_RESP_ERR_NO_ERROR); on failure the caller still owns them.
rd_kafka_resp_err_t relay_cshim_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                        const void *key, size_t key_len,
                                        const void *value, size_t value_len,
                                        rd_kafka_headers_t *headers, void *opaque);

/// One (error, round-trip-time) pair injected on one broker for one API key.
rd_kafka_resp_err_t relay_cshim_mock_broker_push_request_error_rtt(rd_kafka_mock_cluster_t *mcluster,
                                                                    int32_t broker_id, int16_t api_key,
                                                                    rd_kafka_resp_err_t err, int rtt_ms);

/// Returns freed heap pages to the operating system: jemalloc's `arena.<all>.purge` when jemalloc
/// serves the heap, glibc's `malloc_trim(0)` otherwise; a no-op elsewhere.
void relay_cshim_release_free_heap(void);

/// Whether jemalloc serves this process's heap (its `mallctl` is loaded).
bool relay_cshim_heap_is_jemalloc(void);

/// Whether jemalloc serves the heap with the relay's settings (RelayJemallocSettings.h, which the
/// executable gives jemalloc as `malloc_conf` in CRelayJemallocSettings), not ones `MALLOC_CONF`
/// replaced.
bool relay_cshim_jemalloc_uses_relay_settings(void);

/// Caps glibc's malloc arenas (`mallopt(M_ARENA_MAX)`); a no-op elsewhere.
void relay_cshim_limit_heap_arenas(int arenas);

/// Asks the CPU to bring `count` bytes from `start` into its caches ahead of a read (a hint:
/// it never faults and changes nothing).
static inline void relay_cshim_prefetch(const void *start, size_t count) {
    const char *line = (const char *)start;
    for (const char *end = line + count; line < end; line += 64) __builtin_prefetch(line, 0, 3);
}

#endif

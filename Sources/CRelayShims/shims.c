#include "CRelayShims.h"

CURLcode relay_cshim_curl_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode relay_cshim_curl_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode relay_cshim_curl_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode relay_cshim_curl_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode relay_cshim_curl_setopt_off_t(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode relay_cshim_curl_setopt_write_function(CURL *easy, relay_cshim_write_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode relay_cshim_curl_setopt_read_function(CURL *easy, relay_cshim_read_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_READFUNCTION, callback);
}
CURLcode relay_cshim_curl_setopt_seek_function(CURL *easy, relay_cshim_seek_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, callback);
}
CURLcode relay_cshim_curl_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}
CURLcode relay_cshim_curl_getinfo_pointer(CURL *easy, CURLINFO info, void **value) {
    return curl_easy_getinfo(easy, info, value);
}
CURLMcode relay_cshim_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

rd_kafka_resp_err_t relay_cshim_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                        const void *key, size_t key_len,
                                        const void *value, size_t value_len,
                                        rd_kafka_headers_t *headers, void *opaque) {
    if (headers != NULL) {
        return rd_kafka_producev(rk,
                                 RD_KAFKA_V_TOPIC(topic),
                                 RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key, key_len),
                                 RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_HEADERS(headers),
                                 RD_KAFKA_V_OPAQUE(opaque),
                                 RD_KAFKA_V_END);
    }
    return rd_kafka_producev(rk,
                             RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}

rd_kafka_resp_err_t relay_cshim_mock_broker_push_request_error_rtt(rd_kafka_mock_cluster_t *mcluster,
                                                                    int32_t broker_id, int16_t api_key,
                                                                    rd_kafka_resp_err_t err, int rtt_ms) {
    return rd_kafka_mock_broker_push_request_error_rtts(mcluster, broker_id, api_key, 1, err, rtt_ms);
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <dlfcn.h>
#include <stdbool.h>
#include <sys/types.h>

/// jemalloc's control interface, when jemalloc serves this process's heap (the relay's executable
/// links it; tests and tools that do not get glibc's malloc). Found at run time, so nothing else
/// links against jemalloc.
typedef int (*relay_mallctl_fn)(const char *name, void *old, size_t *old_length, void *new, size_t new_length);

static relay_mallctl_fn relay_mallctl(void) {
    static relay_mallctl_fn function = NULL;
    static int looked_up = 0;  // the lookup is idempotent, so a race only repeats it
    if (!__atomic_load_n(&looked_up, __ATOMIC_ACQUIRE)) {
        function = (relay_mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
        __atomic_store_n(&looked_up, 1, __ATOMIC_RELEASE);
    }
    return function;
}

/// MALLCTL_ARENAS_ALL in jemalloc.h: "every arena" in `arena.<i>.*` names.
#define RELAY_JEMALLOC_ALL_ARENAS "4096"

bool relay_cshim_heap_is_jemalloc(void) { return relay_mallctl() != NULL; }

bool relay_cshim_jemalloc_uses_relay_settings(void) {
    relay_mallctl_fn mallctl = relay_mallctl();
    if (mallctl == NULL) return false;
    unsigned arenas = 0;
    size_t arenas_length = sizeof(arenas);
    bool background = false;
    size_t background_length = sizeof(background);
    ssize_t dirty = 0;
    size_t dirty_length = sizeof(dirty);
    if (mallctl("opt.narenas", &arenas, &arenas_length, NULL, 0) != 0) return false;
    if (mallctl("opt.background_thread", &background, &background_length, NULL, 0) != 0) return false;
    if (mallctl("opt.dirty_decay_ms", &dirty, &dirty_length, NULL, 0) != 0) return false;
    return arenas == RELAY_JEMALLOC_ARENAS && background && dirty == RELAY_JEMALLOC_DIRTY_DECAY_MS;
}

void relay_cshim_release_free_heap(void) {
    relay_mallctl_fn mallctl = relay_mallctl();
    if (mallctl != NULL) {
        mallctl("arena." RELAY_JEMALLOC_ALL_ARENAS ".purge", NULL, NULL, NULL, 0);
        return;
    }
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void relay_cshim_limit_heap_arenas(int arenas) {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, arenas);
#endif
}

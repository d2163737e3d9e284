#include "RelayJemallocSettings.h"

/// jemalloc's settings for the relay, read by jemalloc when it initialises (its documented
/// `malloc_conf` global; `MALLOC_CONF` in the environment overrides any of them): two arenas
/// instead of four per core, and freed pages returned to the kernel after a second from a
/// background thread instead of after ten: a lower resident peak on a long backlog for the
/// same CPU (measured in benchmarks/HISTORY.md, eighth round).
///
/// Defined here, in a target only the `conversion-relay` executable depends on, not in the
/// libraries: a program that embeds RelayService keeps its own allocator settings (a second
/// `malloc_conf` would be a duplicate symbol at link time).
const char *malloc_conf = "narenas:" RELAY_JEMALLOC_SETTING_TEXT(RELAY_JEMALLOC_ARENAS) ",background_thread:true,dirty_decay_ms:" RELAY_JEMALLOC_SETTING_TEXT(
    RELAY_JEMALLOC_DIRTY_DECAY_MS) ",muzzy_decay_ms:0";

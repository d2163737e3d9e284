// The relay's jemalloc settings, each written once: as numbers here, where shims.c checks that
// they are in effect, and as text (through the preprocessor) in the `malloc_conf` that only the
// executable defines (CRelayJemallocSettings).
#ifndef RELAY_JEMALLOC_SETTINGS_H
#define RELAY_JEMALLOC_SETTINGS_H

/// Two arenas instead of jemalloc's four per core.
#define RELAY_JEMALLOC_ARENAS 2
/// Freed pages go back to the kernel after a second instead of after ten.
#define RELAY_JEMALLOC_DIRTY_DECAY_MS 1000
#define RELAY_JEMALLOC_TEXT(value) #value
#define RELAY_JEMALLOC_SETTING_TEXT(value) RELAY_JEMALLOC_TEXT(value)

#endif

// Nothing to call: this target only defines jemalloc's `malloc_conf` for the executable.
#ifndef CRELAY_JEMALLOC_SETTINGS_H
#define CRELAY_JEMALLOC_SETTINGS_H
#endif

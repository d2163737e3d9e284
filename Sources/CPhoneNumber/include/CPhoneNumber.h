// Google's libphonenumber (Debian libphonenumber-dev) behind one C function, for Swift.
#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Parses `number` (international, or national read in `default_region`, an ISO 3166-1 alpha-2
/// code or NULL) and writes its E.164 form ("+442079460958") into `output`.
/// Returns the length written, or a negative value: -1 not a number, -2 impossible for the
/// region's numbering plan, -3 output too small.
int relay_cshim_phone_format_e164(const char *number, const char *default_region, char *output, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif

// The helpers are `static inline` in include/CRelayDigest.h, so that Swift inlines them; SwiftPM
// needs one source file for a C target.
#include "CRelayDigest.h"

// Google's libphonenumber (Debian libphonenumber-dev) behind a few C functions, for Swift.
#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Parses `number` (international, or national read in `default_region`, an ISO 3166-1 alpha-2
/// code or NULL) and writes its E.164 form ("+442079460958") into `output`. A leading "00" is
/// also read as "+" when that reading is valid and the region's is not ("0081 3 …" in JP).
/// Only a number worth sending is written: possible for its plan (not local-only), at most 15
/// digits, and valid or of a mobile number's possible length (phone.cpp `Sendable`).
/// Returns the length written, or a negative value: -1 not a number, -2 not sendable
/// (impossible for the region's numbering plan), -3 output too small.
/// Common shapes (`+44 7700 900123`, `(415) 555-0123` in US, `030 1234567` in DE) skip
/// libphonenumber's Parse with the same result (a mobile-length number skips its regular
/// expressions altogether; a fixed-line one is still checked for validity: DE, FR and NL through
/// libphonenumber's patterns compiled once into automata over the digits, others by IsValidNumber); eleven
/// NANP digits starting with "11" read in US or CA, which the full parse always refuses, are refused
/// without it; ten digits starting with "00" read there parse only their "00"-as-"+" reading (the
/// region's reading is known without a parse); everything else is parsed in full.
int relay_cshim_phone_format_e164(const char *number, const char *default_region, char *output, size_t capacity);

/// The same, always through libphonenumber's full Parse (the reference the shortcut is tested against).
int relay_cshim_phone_format_e164_parsed(const char *number, const char *default_region, char *output, size_t capacity);

/// Whether the number of `country_code` whose national significant number is the `length` digits at
/// `national` (no leading 0, at most 15) is valid, as libphonenumber's IsValidNumber answers:
/// through the relay's own compiled patterns where it has them (`through_library` 0, what the
/// shortcut uses) or through IsValidNumber itself (`through_library` 1, the reference tests compare
/// with). Returns 1 valid, 0 not, -1 for digits outside those bounds.
int relay_cshim_phone_is_valid(int country_code, const char *national, size_t length, int through_library);

/// For tests: how many of `numbers_per_pattern` digit strings per national number pattern of
/// libphonenumber's metadata (every region and number type) the relay's DFA of the pattern
/// (digit_pattern.h) matches differently from ICU's full match, which libphonenumber uses. Sets
/// `patterns` to the patterns there are and `compiled` to those the relay has a DFA of.
/// -1 when the metadata cannot be read.
int relay_cshim_phone_patterns_agree(int numbers_per_pattern, int *patterns, int *compiled);

#ifdef __cplusplus
}
#endif

#endif

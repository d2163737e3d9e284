// libphonenumber's IsValidNumber for the calling codes of one region each that the relay's
// shortcut reads (DE, FR, NL), with its patterns compiled once (valid_number.cpp).
#ifndef CPHONENUMBER_VALID_NUMBER_H
#define CPHONENUMBER_VALID_NUMBER_H

#include <cstddef>

namespace relay_phone {

// What PhoneNumberUtil::IsValidNumber answers for the number of `country_code` whose national
// significant number is the `length` digits at `national` (no leading zero, at most 15 digits):
// 1 valid, 0 not valid, -1 not answered here (another calling code: ask IsValidNumber).
int ValidByCompiledPatterns(int country_code, const char *national, size_t length);

// How many of `numbers_per_pattern` digit strings per national number pattern in libphonenumber's
// metadata (every region, every number type) the pattern's DFA answers differently from ICU's
// full match; `patterns` is set to the patterns there are, `compiled` to those with a DFA (the
// others are matched by ICU). -1 when the metadata cannot be read.
int PatternsAgreeWithICU(int numbers_per_pattern, int *patterns, int *compiled);

}  // namespace relay_phone

#endif

#include "CPhoneNumber.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

int CopyOut(const std::string &formatted, char *output, size_t capacity) {
    if (formatted.size() + 1 > capacity) {
        return -3;
    }
    std::memcpy(output, formatted.c_str(), formatted.size() + 1);
    return static_cast<int>(formatted.size());
}

// Calling codes whose metadata the shortcut below relies on: the national prefix used for
// parsing is the plain trunk prefix ("1" for NANP, "0" for GB, DE, FR, NL), so a national
// significant number that does not start with it is never stripped by libphonenumber.
char TrunkPrefixForShortcut(int country_code) {
    switch (country_code) {
    case 1: return '1';
    case 44: case 49: case 33: case 31: return '0';
    default: return 0;
    }
}

// The E.164 form of the shapes most orders carry, computed without libphonenumber's regular
// expressions (ParseHelper costs tens of microseconds per number; most of an order's CPU):
//   - "+<country code><number>" with digits and the separators " -.()", for the calling codes
//     above, when the number does not start with the trunk prefix or 0;
//   - a NANP number read in US or CA: ten digits, the first 2-9, optionally after a 1;
//   - a national number read in GB, DE, FR or NL, with or without its trunk 0, or one written
//     with their international prefix 00.
// The result is what Parse + IsPossibleNumber + Format(E164) give for such input (the same
// country-code extraction, no extension, no trunk prefix to strip, no leading zero);
// PhoneNumberTests compares both on every format the relay sees. Returns the length written,
// or 0 when the shortcut does not apply (the caller then runs the full parse). A number the
// shortcut finds impossible also goes to the full parse, which decides.
int Shortcut(const PhoneNumberUtil *util, const char *number, const char *default_region, char *output,
             size_t capacity) {
    char digits[20];
    size_t count = 0;
    bool plus = false;
    for (const char *p = number; *p != '\0'; ++p) {
        const char c = *p;
        if (c >= '0' && c <= '9') {
            if (count == sizeof digits) return 0;
            digits[count++] = c;
        } else if (c == '+') {
            if (plus || count > 0) return 0;
            plus = true;
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return 0;
        }
    }
    int country_code = 0;
    size_t national_start = 0;
    bool strict_length = false;
    const bool trunkZeroRegion = default_region != nullptr &&
        (std::strcmp(default_region, "GB") == 0 || std::strcmp(default_region, "DE") == 0 ||
         std::strcmp(default_region, "FR") == 0 || std::strcmp(default_region, "NL") == 0);
    if (!plus && trunkZeroRegion && count > 3 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0') {
        // "00" is the international prefix of these four plans: libphonenumber strips it (unless
        // a 0 follows) and reads the rest exactly as after a "+".
        std::memmove(digits, digits + 2, count - 2);
        count -= 2;
        plus = true;
    }
    if (plus) {
        // libphonenumber's ExtractCountryCode: the first 1-3 digit prefix that is a calling code.
        if (count < 2 || digits[0] == '0') return 0;
        for (size_t length = 1; length <= 3 && length < count; ++length) {
            int candidate = 0;
            for (size_t i = 0; i < length; ++i) candidate = candidate * 10 + (digits[i] - '0');
            std::string region;
            util->GetRegionCodeForCountryCode(candidate, &region);
            if (region != "ZZ") {
                country_code = candidate;
                national_start = length;
                break;
            }
        }
        const char trunk = TrunkPrefixForShortcut(country_code);
        if (trunk == 0) return 0;
        const char first = digits[national_start];
        if (first == '0' || first == trunk) return 0;
    } else if (default_region == nullptr) {
        return 0;
    } else if (std::strcmp(default_region, "US") == 0 || std::strcmp(default_region, "CA") == 0) {
        // Eleven digits starting with 1 are too long for the plan, so libphonenumber reads the 1
        // as the country code whatever follows.
        if (count == 11 && digits[0] == '1') national_start = 1;
        if (count - national_start != 10 || digits[national_start] < '2') return 0;
        country_code = 1;
    } else if (trunkZeroRegion) {
        // No national significant number in these plans starts with 0, so libphonenumber always
        // strips a single trunk 0 when what remains has a possible length ("00" is the
        // international prefix: full parse). A number that starts with the country code's
        // digits may be read as international by libphonenumber: full parse.
        country_code = util->GetCountryCodeForRegion(default_region);
        const std::string code = std::to_string(country_code);
        if (count < 3 || digits[1] == '0' || std::strncmp(digits, code.c_str(), code.size()) == 0) return 0;
        if (digits[0] == '0') {
            national_start = 1;
            strict_length = true;
        }
    } else {
        return 0;
    }
    const size_t national_length = count - national_start;
    if (national_length == 0 || national_length > 15) return 0;
    uint64_t national_number = 0;
    for (size_t i = national_start; i < count; ++i) national_number = national_number * 10 + (digits[i] - '0');
    PhoneNumber candidate;
    candidate.set_country_code(country_code);
    candidate.set_national_number(national_number);
    // libphonenumber keeps the trunk prefix unless the rest is possible outright (not "local only").
    if (strict_length ? util->IsPossibleNumberWithReason(candidate) != PhoneNumberUtil::IS_POSSIBLE
                      : !util->IsPossibleNumber(candidate))
        return 0;
    std::string formatted;
    util->Format(candidate, PhoneNumberUtil::E164, &formatted);
    const int written = CopyOut(formatted, output, capacity);
    return written > 0 ? written : 0;
}

}  // namespace

extern "C" int relay_cshim_phone_format_e164(const char *number, const char *default_region, char *output,
                                             size_t capacity) {
    const int shortcut = Shortcut(PhoneNumberUtil::GetInstance(), number, default_region, output, capacity);
    if (shortcut > 0) {
        return shortcut;
    }
    return relay_cshim_phone_format_e164_parsed(number, default_region, output, capacity);
}

extern "C" int relay_cshim_phone_format_e164_parsed(const char *number, const char *default_region, char *output,
                                                    size_t capacity) {
    // GetInstance() is a thread-safe singleton; Parse and Format are const.
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber parsed;
    const std::string region = default_region != nullptr ? default_region : "ZZ";
    if (util->Parse(number, region, &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) {
        return -1;
    }
    // "Possible" (length and country code fit the plan) rather than "valid" (assigned ranges):
    // the packaged metadata ages, and a real customer's new number must not be dropped.
    if (!util->IsPossibleNumber(parsed)) {
        return -2;
    }
    std::string formatted;
    util->Format(parsed, PhoneNumberUtil::E164, &formatted);
    return CopyOut(formatted, output, capacity);
}

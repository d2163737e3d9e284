#include "CPhoneNumber.h"
#include "valid_number.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <atomic>
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

// The calling code of a default region whose national numbers the shortcut reads (GB, DE, FR,
// NL: trunk prefix 0, international prefix 00), or 0.
int TrunkZeroRegionCallingCode(const char *region) {
    if (region == nullptr) return 0;
    if (std::strcmp(region, "GB") == 0) return 44;
    if (std::strcmp(region, "DE") == 0) return 49;
    if (std::strcmp(region, "FR") == 0) return 33;
    if (std::strcmp(region, "NL") == 0) return 31;
    return 0;
}

// libphonenumber's ExtractCountryCode takes the first 1-3 digit prefix that is a calling code.
// The only one-digit codes are 1 and 7, and 3 and 4 are not codes, so for the calling codes the
// shortcut handles the answer is read off the first digits, without GetRegionCodeForCountryCode
// (which builds a list of strings per call: a third of the shortcut's cost). Returns the code and
// its length, or 0 when the number does not start with one of those codes.
int ShortcutCallingCode(const char *digits, size_t count, size_t *length) {
    if (count > 1 && digits[0] == '1') {
        *length = 1;
        return 1;
    }
    if (count > 2) {
        const int code = (digits[0] - '0') * 10 + (digits[1] - '0');
        if (code == 44 || code == 49 || code == 33 || code == 31) {
            *length = 2;
            return code;
        }
    }
    return 0;
}

// IS_POSSIBLE (not local-only, not too short or long) for the plan, and a possible length for
// one of its mobile numbers.
bool PossibleLengthForMobile(const PhoneNumberUtil *util, const PhoneNumber &number) {
    return util->IsPossibleNumberWithReason(number) == PhoneNumberUtil::IS_POSSIBLE
        && util->IsPossibleNumberForTypeWithReason(number, PhoneNumberUtil::MOBILE) == PhoneNumberUtil::IS_POSSIBLE;
}

// libphonenumber's IsValidNumber on a PhoneNumber built from the digits (no leading 0, at most 15).
bool IsValidThroughLibrary(const PhoneNumberUtil *util, int country_code, const char *national, size_t length) {
    uint64_t national_number = 0;
    for (size_t i = 0; i < length; ++i) national_number = national_number * 10 + static_cast<uint64_t>(national[i] - '0');
    PhoneNumber candidate;
    candidate.set_country_code(country_code);
    candidate.set_national_number(national_number);
    return util->IsValidNumber(candidate);
}

// Whether the relay sends the number (docs/normalization.md "Phones"). libphonenumber must find it
// at least possible (IsPossibleNumberWithReason == IS_POSSIBLE: local-only numbers lack their
// area code and cannot match), and E.164 allows at most 15 digits. Possible is not enough on its
// own: some plans accept almost any length (Germany: 5 to 15 digits, so "12345" read in DE is a
// "possible" +4912345). So the number must also be valid (in a range the metadata knows), or have
// a mobile number's possible length: the ranges the packaged metadata misses as it ages are
// nearly all new mobile ranges, and a real customer's new number must not be dropped.
bool Sendable(const PhoneNumberUtil *util, const PhoneNumber &number) {
    std::string national;
    util->GetNationalSignificantNumber(number, &national);
    int code_digits = 0;
    for (int code = number.country_code(); code > 0; code /= 10) ++code_digits;
    if (national.size() + code_digits > 15) return false;
    // The length test first: it is cheap, IsValidNumber runs the plan's regular expressions.
    return PossibleLengthForMobile(util, number) || util->IsValidNumber(number);
}

// What libphonenumber says of a number of `country_code` whose national significant number has
// `length` digits, by its length alone (TestNumberLength compares the length with the plan's
// possible lengths, and depends on nothing else): whether it is possible (IsPossibleNumberWithReason
// is IS_POSSIBLE) and whether it is also of a mobile number's possible length (``Sendable``'s second
// clause). Each answer is asked of libphonenumber once and kept; the table is shared by all
// threads (an answer is written whole, and two threads that race write the same answer).
enum LengthAnswer : int8_t { kPossible = 1, kMobileLength = 2, kAsked = 4 };

int8_t LengthAnswers(const PhoneNumberUtil *util, int country_code, size_t length) {
    static std::atomic<int8_t> answers[5][17];  // calling code slot, NSN length; 0: not asked yet
    int slot;
    switch (country_code) {
    case 1: slot = 0; break;
    case 44: slot = 1; break;
    case 49: slot = 2; break;
    case 33: slot = 3; break;
    case 31: slot = 4; break;
    default: return kAsked;
    }
    if (length == 0 || length > 16) return kAsked;
    std::atomic<int8_t> &answer = answers[slot][length];
    int8_t known = answer.load(std::memory_order_relaxed);
    if (known == 0) {
        // Any national significant number of that length gets the same answers: 55…5.
        uint64_t representative = 0;
        for (size_t i = 0; i < length; ++i) representative = representative * 10 + 5;
        PhoneNumber candidate;
        candidate.set_country_code(country_code);
        candidate.set_national_number(representative);
        known = kAsked;
        if (util->IsPossibleNumberWithReason(candidate) == PhoneNumberUtil::IS_POSSIBLE) known |= kPossible;
        if (PossibleLengthForMobile(util, candidate)) known |= kMobileLength;
        answer.store(known, std::memory_order_relaxed);
    }
    return known;
}

// Whether a number of `country_code` whose national significant number has `length` digits is
// sendable by length alone (``Sendable``'s second clause). A number that fails this goes to
// ValidWithoutParsing, then to the full parse, which may still accept it as a valid number.
bool SendableByLength(const PhoneNumberUtil *util, int country_code, size_t length) {
    return (LengthAnswers(util, country_code, length) & kMobileLength) != 0;
}

// IsValidNumber for the number of `country_code` whose national significant number is the
// `length` digits at `national` (no leading 0): through the patterns compiled once
// (valid_number.cpp) for the calling codes answered there, else through libphonenumber.
bool IsValid(const PhoneNumberUtil *util, int country_code, const char *national, size_t length) {
    const int answered = relay_phone::ValidByCompiledPatterns(country_code, national, length);
    if (answered >= 0) return answered == 1;
    return IsValidThroughLibrary(util, country_code, national, length);
}

// Whether the number of `country_code` whose national significant number is `national` (digits,
// not starting with 0) is sendable as a valid number (``Sendable``'s second clause), asked
// without parsing the text: Parse's regular expressions cost three times IsValidNumber's (most
// fixed-line numbers, such as German landlines, are not of a mobile length and used to take the
// full parse for this answer alone). IS_POSSIBLE first: it is also Parse's condition for
// stripping the trunk prefix (TestNumberLength neither too short nor local-only), so the full
// parse reads the same national number. NANP is left to the full parse (its one possible length
// is already answered by SendableByLength). `false` sends the number to the full parse, which decides.
bool ValidWithoutParsing(const PhoneNumberUtil *util, int country_code, const char *national, size_t length) {
    if (country_code == 1 || length == 0 || national[0] == '0') return false;
    int code_digits = 0;
    for (int code = country_code; code > 0; code /= 10) ++code_digits;
    if (length + code_digits > 15) return false;
    return (LengthAnswers(util, country_code, length) & kPossible) != 0 && IsValid(util, country_code, national, length);
}

// relay_cshim_phone_format_e164's answer for a number that is not sendable (CPhoneNumber.h).
constexpr int kNotSendable = -2;

// Writes "+" and the calling code 1 and the ten `digits` into `output` (NUL-terminated), or
// returns 0 when they do not fit.
int WriteNANP(const char *digits, char *output, size_t capacity) {
    if (capacity < 13) return 0;
    output[0] = '+';
    output[1] = '1';
    std::memcpy(output + 2, digits, 10);
    output[12] = '\0';
    return 12;
}

// Ten digits starting with "00" read in US or CA (`number` holds digits and " -.()" only): the
// full parse's two readings, the region's without Parse. libphonenumber reads the ten digits in
// the region as the national number (011 is the international prefix, the trunk prefix is 1),
// its leading zeros kept as "italian" ones: "+1" and the ten digits, of the plan's one possible
// length (sendable), and never valid (no NANP number starts with 0), so the "00"-as-"+" reading
// wins when it is valid and sendable, and is parsed as the full parse parses it. 0 when the
// region's reading is not sendable by length (full parse).
int NANPWithDoubleZero(const PhoneNumberUtil *util, const char *number, const char *digits, char *output,
                       size_t capacity) {
    if (!SendableByLength(util, 1, 10)) return 0;
    const char *p = number;
    while (*p == ' ' || *p == '\t' || *p == '(') ++p;
    if (p[0] == '0' && p[1] == '0') {
        const std::string rewritten = std::string("+") + (p + 2);
        PhoneNumber international;
        if (util->Parse(rewritten, "ZZ", &international) == PhoneNumberUtil::NO_PARSING_ERROR
            && util->IsValidNumber(international) && Sendable(util, international)) {
            std::string formatted;
            util->Format(international, PhoneNumberUtil::E164, &formatted);
            return CopyOut(formatted, output, capacity);
        }
    }
    return WriteNANP(digits, output, capacity);
}

// The E.164 form of the shapes most orders carry, computed without libphonenumber's regular
// expressions (ParseHelper costs tens of microseconds per number; most of an order's CPU):
//   - "+<country code><number>" with digits and the separators " -.()", for the calling codes
//     above, when the number does not start with the trunk prefix or 0 (or is ten NANP digits);
//   - a NANP number read in US or CA: ten digits (not "011…"; those starting with "00" with
//     their second reading parsed alone, NANPWithDoubleZero), or eleven starting with 1 (those
//     starting with "11" refused);
//   - a national number read in GB, DE, FR or NL, with or without its trunk 0, or one written
//     with their international prefix 00.
// The result is what the full parse (relay_cshim_phone_format_e164_parsed) gives for such input
// (the same country-code extraction, no extension, no trunk prefix to strip, no leading zero, no
// second reading of a "00" prefix); PhoneNumberShortcutTests compares both on every format the
// relay sees. The number is sent when it has a mobile number's possible length
// (SendableByLength) or is valid (ValidWithoutParsing), as ``Sendable`` decides after a parse.
// Returns the length written, kNotSendable for a shape the full parse always refuses, or 0 when
// the shortcut does not apply (the caller then runs the full parse). A number the shortcut finds
// neither also goes to the full parse, which decides.
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
    const int trunk_zero_code = TrunkZeroRegionCallingCode(default_region);
    if (!plus && trunk_zero_code != 0 && count > 3 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0') {
        // "00" is the international prefix of these four plans: libphonenumber strips it (unless
        // a 0 follows) and reads the rest exactly as after a "+".
        std::memmove(digits, digits + 2, count - 2);
        count -= 2;
        plus = true;
    }
    if (plus) {
        if (count < 2 || digits[0] == '0') return 0;
        country_code = ShortcutCallingCode(digits, count, &national_start);
        const char trunk = TrunkPrefixForShortcut(country_code);
        if (trunk == 0) return 0;
        const char first = digits[national_start];
        // libphonenumber reads ten NANP digits after "+1" as the national number whatever they
        // start with (a leading 0 kept as an "italian leading zero"); other numbers that start
        // with the trunk prefix or 0 go to the full parse.
        const bool nanp_ten_digits = country_code == 1 && count - national_start == 10;
        if (!nanp_ten_digits && (first == '0' || first == trunk)) return 0;
    } else if (default_region == nullptr) {
        return 0;
    } else if (std::strcmp(default_region, "US") == 0 || std::strcmp(default_region, "CA") == 0) {
        // Ten digits are the national number whatever they start with, except "011…", the
        // international prefix. Eleven digits starting with 1 are too long for the plan, so
        // libphonenumber reads the 1 as the country code. When "11" starts them, it also strips
        // the second 1 as the trunk prefix (no NANP number starts with 1), which leaves eight or
        // nine national digits: never a possible NANP length (ten), so never sendable. Refused
        // here: the full parse takes ~300,000 instructions to say the same.
        if (count == 11 && digits[0] == '1') {
            if (digits[1] == '1') return kNotSendable;
            national_start = 1;
        } else if (count != 10 || (digits[0] == '0' && digits[1] == '1' && digits[2] == '1')) {
            return 0;
        } else if (digits[0] == '0' && digits[1] == '0') {
            // May be read with the "00" international prefix instead: that reading alone is parsed.
            return NANPWithDoubleZero(util, number, digits, output, capacity);
        }
        country_code = 1;
    } else if (trunk_zero_code != 0) {
        // No national significant number in these plans starts with 0, so libphonenumber always
        // strips a single trunk 0 when what remains has a possible length ("00" is the
        // international prefix: full parse). A number that starts with the country code's
        // digits may be read as international by libphonenumber: full parse.
        country_code = trunk_zero_code;
        if (count < 3 || digits[1] == '0' || (digits[0] - '0') * 10 + (digits[1] - '0') == country_code) return 0;
        if (digits[0] == '0') national_start = 1;
    } else {
        return 0;
    }
    const size_t national_length = count - national_start;
    if (national_length == 0 || national_length > 15) return 0;
    // libphonenumber keeps the trunk prefix unless the rest is possible outright (not "local
    // only"); SendableByLength asks for exactly that (IS_POSSIBLE), so a stripped prefix stays stripped.
    // The national significant number is exactly the national digits (a leading 0 only for NANP,
    // where libphonenumber keeps it as an italian leading zero).
    if (!SendableByLength(util, country_code, national_length)
        && !ValidWithoutParsing(util, country_code, digits + national_start, national_length)) {
        return 0;
    }
    // Format(E164) is "+", the calling code and the national significant number (no extension):
    // written directly, without Format's string building (or snprintf's format parsing).
    char code_digits[4];
    size_t code_length = 0;
    for (int code = country_code; code > 0 && code_length < sizeof code_digits; code /= 10) {
        code_digits[code_length++] = static_cast<char>('0' + code % 10);
    }
    const size_t written = 1 + code_length + national_length;
    if (written >= capacity) return 0;
    output[0] = '+';
    for (size_t i = 0; i < code_length; ++i) output[1 + i] = code_digits[code_length - 1 - i];
    std::memcpy(output + 1 + code_length, digits + national_start, national_length);
    output[written] = '\0';
    return static_cast<int>(written);
}

}  // namespace

extern "C" int relay_cshim_phone_format_e164(const char *number, const char *default_region, char *output,
                                             size_t capacity) {
    const int shortcut = Shortcut(PhoneNumberUtil::GetInstance(), number, default_region, output, capacity);
    if (shortcut != 0) {
        return shortcut;
    }
    return relay_cshim_phone_format_e164_parsed(number, default_region, output, capacity);
}

extern "C" int relay_cshim_phone_format_e164_parsed(const char *number, const char *default_region, char *output,
                                                    size_t capacity) {
    // GetInstance() is a thread-safe singleton; Parse and Format are const.
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    const std::string region = default_region != nullptr ? default_region : "ZZ";
    // First reading: libphonenumber's, in the order's country. It strips that country's own
    // international prefix ("00" in DE, "011" in US and CA, "010" in JP, "00" and a carrier code in BR).
    PhoneNumber parsed;
    const bool has_parse = util->Parse(number, region, &parsed) == PhoneNumberUtil::NO_PARSING_ERROR;
    // Second reading: a leading "00" (ITU-T E.164's recommended international prefix, used in
    // most of the world) as "+", for customers who write their number the way their own country
    // dials it, not the order's country: "0081 3 …" in JP (whose prefix is 010), "0055 11 …" in
    // BR (where libphonenumber reads "0055" as prefix 00 with carrier 55, then a +1 number).
    PhoneNumber international;
    bool has_international = false;
    const char *p = number;
    while (*p == ' ' || *p == '\t' || *p == '(') ++p;
    if (p[0] == '0' && p[1] == '0') {
        const std::string rewritten = std::string("+") + (p + 2);
        has_international = util->Parse(rewritten, "ZZ", &international) == PhoneNumberUtil::NO_PARSING_ERROR;
    }
    // A valid reading wins over one that is only sendable; the order's country's reading first.
    // With one reading only, sendable is enough (and validity is asked only when it decides).
    const PhoneNumber *chosen = nullptr;
    if (!has_international) {
        if (has_parse && Sendable(util, parsed)) chosen = &parsed;
    } else if (has_parse && util->IsValidNumber(parsed) && Sendable(util, parsed)) chosen = &parsed;
    else if (has_international && util->IsValidNumber(international) && Sendable(util, international)) chosen = &international;
    else if (has_parse && Sendable(util, parsed)) chosen = &parsed;
    else if (has_international && Sendable(util, international)) chosen = &international;
    if (chosen == nullptr) return has_parse || has_international ? -2 : -1;
    std::string formatted;
    util->Format(*chosen, PhoneNumberUtil::E164, &formatted);
    return CopyOut(formatted, output, capacity);
}

extern "C" int relay_cshim_phone_is_valid(int country_code, const char *national, size_t length, int through_library) {
    if (length == 0 || length > 15 || national[0] < '1' || national[0] > '9') return -1;
    for (size_t i = 0; i < length; ++i) {
        if (national[i] < '0' || national[i] > '9') return -1;
    }
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    return through_library ? IsValidThroughLibrary(util, country_code, national, length)
                           : IsValid(util, country_code, national, length);
}

extern "C" int relay_cshim_phone_patterns_agree(int numbers_per_pattern, int *patterns, int *compiled) {
    return relay_phone::PatternsAgreeWithICU(numbers_per_pattern, patterns, compiled);
}

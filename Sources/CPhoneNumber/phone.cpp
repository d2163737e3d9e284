#include "CPhoneNumber.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int relay_cshim_phone_format_e164(const char *number, const char *default_region, char *output,
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
    if (formatted.size() + 1 > capacity) {
        return -3;
    }
    std::memcpy(output, formatted.c_str(), formatted.size() + 1);
    return static_cast<int>(formatted.size());
}

#include "valid_number.h"

#include "digit_pattern.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <memory>
#include <vector>

// The serialized metadata libphonenumber itself loads (libphonenumber's cpp/src/phonenumbers/
// metadata.h, exported by libphonenumber.so; PhoneNumberUtil's constructor parses it the same way).
namespace i18n {
namespace phonenumbers {
int metadata_size();
const void *metadata_get();
}  // namespace phonenumbers
}  // namespace i18n

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;

namespace relay_phone {
namespace {

// One PhoneNumberDesc: its possible lengths and its national number pattern, compiled as
// libphonenumber's ICU adapter compiles it (regexp_adapter_icu.cc: RegexPattern::compile of the
// UTF-8 pattern, flags 0), and as a DFA over the digits (digit_pattern.h) that answers in its
// place: the same full matches on digit strings (every pattern of the metadata compiles, and
// answers as ICU does: PatternsAgreeWithICU below), at a table step per digit instead of ~2,000
// instructions of ICU's backtracking per pattern. No pattern: the desc matches nothing (an empty pattern, or one
// that does not compile, never matches in libphonenumber either).
struct Desc {
    std::vector<int> lengths;
    std::unique_ptr<icu::RegexPattern> pattern;
    std::unique_ptr<DigitPattern> automaton;

    explicit Desc(const PhoneNumberDesc &desc)
        : lengths(desc.possible_length().begin(), desc.possible_length().end()) {
        const std::string &source = desc.national_number_pattern();
        if (source.empty()) return;
        UParseError parse_error;
        UErrorCode status = U_ZERO_ERROR;
        pattern.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(source), 0, parse_error, status));
        if (U_FAILURE(status)) {
            pattern.reset();
            return;
        }
        automaton = DigitPattern::Compile(source);
    }
};

// A calling code's plan: its general desc, then every number type GetNumberTypeHelper tries.
struct Plan {
    int country_code;
    Desc general;
    std::vector<Desc> types;
};

// The plans of the calling codes answered here, each the only region of its code (so
// GetRegionCodeForNumber is that region whatever the number).
const std::vector<Plan> &Plans() {
    static const std::vector<Plan> *plans = [] {
        auto *built = new std::vector<Plan>();
        PhoneMetadataCollection collection;
        if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size())) {
            return built;
        }
        for (const int code : {49, 33, 31}) {
            const PhoneMetadata *only = nullptr;
            int regions = 0;
            for (const PhoneMetadata &metadata : collection.metadata()) {
                if (metadata.country_code() != code || metadata.id() == "ZZ") continue;
                ++regions;
                only = &metadata;
            }
            if (regions != 1 || only->id() == "001") continue;
            // Fixed-line and mobile first (the usual answers), then the rest. GetNumberTypeHelper
            // tries the mobile pattern only when it differs from the fixed-line one.
            Plan plan{code, Desc(only->general_desc()), {}};
            plan.types.emplace_back(only->fixed_line());
            if (!only->same_mobile_and_fixed_line_pattern()) plan.types.emplace_back(only->mobile());
            for (const PhoneNumberDesc *desc : {&only->premium_rate(), &only->toll_free(), &only->shared_cost(),
                                                &only->voip(), &only->personal_number(), &only->pager(), &only->uan(),
                                                &only->voicemail()}) {
                plan.types.emplace_back(*desc);
            }
            built->push_back(std::move(plan));
        }
        return built;
    }();
    return *plans;
}

// A full match by ICU: one matcher per pattern and thread, reset to each number (libphonenumber
// creates a matcher per call, and looks the pattern up by its text).
bool MatchesThroughICU(const Desc &desc, const char *national, size_t length) {
    // A matcher keeps a reference to the text it was last reset to, so the text lives as long as
    // the thread's matchers do.
    thread_local icu::UnicodeString input;
    input = icu::UnicodeString(national, static_cast<int32_t>(length), icu::UnicodeString::kInvariant);
    thread_local std::vector<std::pair<const icu::RegexPattern *, std::unique_ptr<icu::RegexMatcher>>> matchers;
    icu::RegexMatcher *matcher = nullptr;
    for (auto &entry : matchers) {
        if (entry.first == desc.pattern.get()) {
            matcher = entry.second.get();
            break;
        }
    }
    UErrorCode status = U_ZERO_ERROR;
    if (matcher == nullptr) {
        std::unique_ptr<icu::RegexMatcher> created(desc.pattern->matcher(status));
        if (U_FAILURE(status) || !created) return false;
        matcher = created.get();
        matchers.emplace_back(desc.pattern.get(), std::move(created));
    }
    matcher->reset(input);
    const bool matched = matcher->matches(0, status);
    return matched && !U_FAILURE(status);
}

// IsNumberMatchingDesc: the length among the desc's possible lengths (when it lists any), then a
// full match of the pattern (RegexBasedMatcher::Match without prefix matches: FullMatch, which is
// ICU's RegexMatcher::matches from position 0): by the desc's DFA, or by ICU when it has none.
bool Matches(const Desc &desc, const char *national, size_t length) {
    if (!desc.pattern) return false;
    if (!desc.lengths.empty()
        && std::find(desc.lengths.begin(), desc.lengths.end(), static_cast<int>(length)) == desc.lengths.end()) {
        return false;
    }
    if (desc.automaton) return desc.automaton->Matches(national, length);
    return MatchesThroughICU(desc, national, length);
}

}  // namespace

// IsValidNumber is IsValidNumberForRegion in the number's only region: GetNumberTypeHelper is not
// UNKNOWN, that is the general desc matches and so does one of the types it tries (the order it tries
// them in decides which type, not whether there is one).
int ValidByCompiledPatterns(int country_code, const char *national, size_t length) {
    for (const Plan &plan : Plans()) {
        if (plan.country_code != country_code) continue;
        if (!Matches(plan.general, national, length)) return 0;
        for (const Desc &desc : plan.types) {
            if (Matches(desc, national, length)) return 1;
        }
        return 0;
    }
    return -1;
}

int PatternsAgreeWithICU(int numbers_per_pattern, int *patterns, int *compiled) {
    PhoneMetadataCollection collection;
    if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size())) return -1;
    *patterns = 0;
    *compiled = 0;
    int disagreements = 0;
    uint64_t state = 0x9E3779B97F4A7C15u;  // SplitMix64, seeded: the same numbers every run
    auto next = [&state](uint64_t bound) {
        state += 0x9E3779B97F4A7C15u;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        return (z ^ (z >> 31)) % bound;
    };
    for (const PhoneMetadata &metadata : collection.metadata()) {
        for (const PhoneNumberDesc *desc :
             {&metadata.general_desc(), &metadata.fixed_line(), &metadata.mobile(), &metadata.premium_rate(),
              &metadata.toll_free(), &metadata.shared_cost(), &metadata.voip(), &metadata.personal_number(),
              &metadata.pager(), &metadata.uan(), &metadata.voicemail(), &metadata.no_international_dialling()}) {
            Desc compiled_desc(*desc);
            if (!compiled_desc.pattern) continue;
            ++*patterns;
            if (!compiled_desc.automaton) continue;
            ++*compiled;
            char digits[18];
            for (int i = 0; i < numbers_per_pattern; ++i) {
                // Lengths 0-17 (national numbers are 2-17 digits), every digit equally likely, the
                // first three digits from a counter so every short prefix comes up.
                const size_t length = i == 0 ? 0 : 1 + next(17);
                for (size_t j = 0; j < length; ++j) {
                    digits[j] = static_cast<char>('0' + (j < 3 ? (i / (j == 0 ? 100 : j == 1 ? 10 : 1)) % 10 : next(10)));
                }
                if (compiled_desc.automaton->Matches(digits, length) != MatchesThroughICU(compiled_desc, digits, length)) {
                    ++disagreements;
                }
            }
        }
    }
    return disagreements;
}

}  // namespace relay_phone

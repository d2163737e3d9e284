// libphonenumber's national number patterns as deterministic automata over the digits 0-9
// (digit_pattern.cpp): what ICU's RegexMatcher::matches answers for a string of digits, without ICU.
#ifndef CPHONENUMBER_DIGIT_PATTERN_H
#define CPHONENUMBER_DIGIT_PATTERN_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace relay_phone {

// A regular expression of the form libphonenumber's metadata uses for national numbers (digits,
// `\d`, classes of digits such as `[2-9]`, groups, alternation, and the quantifiers `?`,
// `*`, `+`, `{n}`, `{n,}`, `{n,m}`), compiled to a DFA whose input is digits. For digit strings a
// full match (ICU's `matches`, libphonenumber's FullMatch) is membership in the regular language,
// which the DFA decides in one table step per digit; ICU's backtracking matcher took ~2,000
// instructions per pattern for a German landline (callgrind of relay-hot-path).
class DigitPattern {
public:
    // The automaton of `source`, or nullptr when the pattern uses anything else (a character that
    // is not a digit, an anchor, a backreference, a possessive quantifier, ...) or its DFA would
    // exceed `kMaxStates`: the caller then matches with ICU.
    static std::unique_ptr<DigitPattern> Compile(const std::string &source);

    // Whether the `length` bytes at `digits` (each '0'-'9') are matched in full.
    bool Matches(const char *digits, size_t length) const {
        int32_t state = 1;  // 0 is the dead state
        for (size_t i = 0; i < length && state != 0; ++i) state = next_[state][digits[i] - '0'];
        return accepting_[state] != 0;
    }

    size_t StateCount() const { return next_.size(); }

    static constexpr size_t kMaxStates = 20000;

private:
    std::vector<std::array<int32_t, 10>> next_;
    std::vector<uint8_t> accepting_;
};

}  // namespace relay_phone

#endif

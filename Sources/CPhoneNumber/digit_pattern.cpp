#include "digit_pattern.h"

#include <algorithm>
#include <map>

namespace relay_phone {
namespace {

// The pattern's syntax tree.
struct Node {
    enum Kind { kDigits, kSequence, kAlternatives, kRepeat } kind;
    uint16_t digits = 0;  // kDigits: bit d for digit d
    int min = 0, max = 0;  // kRepeat: max -1 for no bound
    std::vector<std::unique_ptr<Node>> children;

    explicit Node(Kind kind) : kind(kind) {}
};

constexpr uint16_t kAnyDigit = 0x3FF;

// A recursive-descent parser of the subset described in digit_pattern.h; `failed` on anything else.
class Parser {
public:
    explicit Parser(const std::string &source) : text_(source) {}

    std::unique_ptr<Node> Parse() {
        auto root = Alternatives();
        if (failed_ || position_ != text_.size()) return nullptr;
        return root;
    }

private:
    const std::string &text_;
    size_t position_ = 0;
    bool failed_ = false;
    int depth_ = 0;

    bool AtEnd() const { return position_ >= text_.size(); }
    char Peek() const { return AtEnd() ? '\0' : text_[position_]; }

    std::unique_ptr<Node> Fail() {
        failed_ = true;
        return nullptr;
    }

    std::unique_ptr<Node> Alternatives() {
        auto node = std::make_unique<Node>(Node::kAlternatives);
        node->children.push_back(Sequence());
        while (!failed_ && Peek() == '|') {
            ++position_;
            node->children.push_back(Sequence());
        }
        return failed_ ? nullptr : std::move(node);
    }

    std::unique_ptr<Node> Sequence() {
        auto node = std::make_unique<Node>(Node::kSequence);
        while (!failed_ && !AtEnd() && Peek() != '|' && Peek() != ')') {
            auto atom = Atom();
            if (failed_) return nullptr;
            node->children.push_back(Quantified(std::move(atom)));
        }
        return failed_ ? nullptr : std::move(node);
    }

    std::unique_ptr<Node> Atom() {
        const char c = Peek();
        if (c >= '0' && c <= '9') {
            ++position_;
            return Digits(static_cast<uint16_t>(1u << (c - '0')));
        }
        if (c == '\\') {
            if (position_ + 1 < text_.size() && text_[position_ + 1] == 'd') {
                position_ += 2;
                return Digits(kAnyDigit);
            }
            return Fail();
        }
        if (c == '[') return Class();
        if (c == '(') {
            if (++depth_ > 64) return Fail();
            ++position_;
            // "(?:" groups without capturing; "(" captures, which changes nothing for a full match.
            // Any other "(?" (lookaround, flags, atomic group) is not supported.
            if (Peek() == '?') {
                if (position_ + 1 >= text_.size() || text_[position_ + 1] != ':') return Fail();
                position_ += 2;
            }
            auto inner = Alternatives();
            if (failed_ || Peek() != ')') return Fail();
            ++position_;
            --depth_;
            return inner;
        }
        return Fail();
    }

    // "[...]" of digits, ranges of digits and "\d". A negated class ("[^...]", which ICU also
    // matches with characters that are not digits) is not supported: the metadata has none.
    std::unique_ptr<Node> Class() {
        ++position_;
        if (Peek() == '^') return Fail();
        uint16_t digits = 0;
        bool empty = true;
        while (!AtEnd() && Peek() != ']') {
            const char c = Peek();
            if (c == '\\') {
                if (position_ + 1 >= text_.size() || text_[position_ + 1] != 'd') return Fail();
                position_ += 2;
                digits |= kAnyDigit;
            } else if (c >= '0' && c <= '9') {
                ++position_;
                char last = c;
                if (Peek() == '-' && position_ + 1 < text_.size() && text_[position_ + 1] != ']') {
                    last = text_[position_ + 1];
                    if (last < c || last > '9') return Fail();
                    position_ += 2;
                }
                for (char d = c; d <= last; ++d) digits |= static_cast<uint16_t>(1u << (d - '0'));
            } else {
                return Fail();
            }
            empty = false;
        }
        if (AtEnd() || empty) return Fail();
        ++position_;
        return Digits(digits);
    }

    // `atom` with its quantifier, if any: "?", "*", "+", "{n}", "{n,}", "{n,m}". A lazy ("?" after
    // it) or possessive ("+" after it) quantifier, or a second one, is not supported (the metadata
    // has none; a possessive one can change what matches).
    std::unique_ptr<Node> Quantified(std::unique_ptr<Node> atom) {
        int min = 0;
        int max = 0;
        switch (Peek()) {
        case '?': min = 0; max = 1; ++position_; break;
        case '*': min = 0; max = -1; ++position_; break;
        case '+': min = 1; max = -1; ++position_; break;
        case '{': {
            ++position_;
            if (!Number(&min)) return Fail();
            max = min;
            if (Peek() == ',') {
                ++position_;
                max = -1;
                if (Peek() != '}' && !Number(&max)) return Fail();
            }
            if (Peek() != '}' || (max != -1 && max < min) || min > 32 || max > 32) return Fail();
            ++position_;
            break;
        }
        default: return atom;
        }
        if (Peek() == '+' || Peek() == '?' || Peek() == '*' || Peek() == '{') return Fail();
        auto node = std::make_unique<Node>(Node::kRepeat);
        node->min = min;
        node->max = max;
        node->children.push_back(std::move(atom));
        return node;
    }

    bool Number(int *value) {
        if (!(Peek() >= '0' && Peek() <= '9')) return false;
        *value = 0;
        while (Peek() >= '0' && Peek() <= '9') {
            *value = *value * 10 + (Peek() - '0');
            if (*value > 1000) return false;
            ++position_;
        }
        return true;
    }

    static std::unique_ptr<Node> Digits(uint16_t digits) {
        auto node = std::make_unique<Node>(Node::kDigits);
        node->digits = digits;
        return node;
    }
};

// A Thompson NFA: each state has at most one digit edge, and any number of empty edges.
class Nfa {
public:
    struct State {
        uint16_t digits = 0;
        int32_t target = -1;
        std::vector<int32_t> empty;
    };
    struct Fragment {
        int32_t start, end;
    };

    std::vector<State> states;
    bool overflowed = false;

    Fragment Build(const Node &node) {
        if (states.size() > 100000) overflowed = true;
        if (overflowed) return {Add(), Add()};
        switch (node.kind) {
        case Node::kDigits: {
            const int32_t start = Add(), end = Add();
            states[start].digits = node.digits;
            states[start].target = end;
            return {start, end};
        }
        case Node::kSequence: {
            const int32_t start = Add();
            int32_t end = start;
            for (const auto &child : node.children) {
                const Fragment part = Build(*child);
                Link(end, part.start);
                end = part.end;
            }
            return {start, end};
        }
        case Node::kAlternatives: {
            const int32_t start = Add(), end = Add();
            for (const auto &child : node.children) {
                const Fragment part = Build(*child);
                Link(start, part.start);
                Link(part.end, end);
            }
            return {start, end};
        }
        case Node::kRepeat: {
            const int32_t start = Add(), end = Add();
            int32_t at = start;
            for (int i = 0; i < node.min; ++i) {
                const Fragment part = Build(*node.children[0]);
                Link(at, part.start);
                at = part.end;
            }
            if (node.max < 0) {
                const Fragment part = Build(*node.children[0]);
                Link(at, part.start);
                Link(part.end, at);
            } else {
                for (int i = node.min; i < node.max; ++i) {
                    const Fragment part = Build(*node.children[0]);
                    Link(at, end);
                    Link(at, part.start);
                    at = part.end;
                }
            }
            Link(at, end);
            return {start, end};
        }
        }
        return {Add(), Add()};
    }

    // `set` with every state reachable from it by empty edges, sorted.
    std::vector<int32_t> Closure(std::vector<int32_t> set) const {
        std::vector<uint8_t> seen(states.size(), 0);
        std::vector<int32_t> stack;
        for (const int32_t state : set) {
            if (!seen[state]) {
                seen[state] = 1;
                stack.push_back(state);
            }
        }
        set.clear();
        while (!stack.empty()) {
            const int32_t state = stack.back();
            stack.pop_back();
            set.push_back(state);
            for (const int32_t next : states[state].empty) {
                if (!seen[next]) {
                    seen[next] = 1;
                    stack.push_back(next);
                }
            }
        }
        std::sort(set.begin(), set.end());
        return set;
    }

private:
    int32_t Add() {
        states.emplace_back();
        return static_cast<int32_t>(states.size() - 1);
    }
    void Link(int32_t from, int32_t to) { states[from].empty.push_back(to); }
};

}  // namespace

std::unique_ptr<DigitPattern> DigitPattern::Compile(const std::string &source) {
    if (source.empty()) return nullptr;
    Parser parser(source);
    const std::unique_ptr<Node> root = parser.Parse();
    if (!root) return nullptr;
    Nfa nfa;
    const Nfa::Fragment whole = nfa.Build(*root);
    if (nfa.overflowed) return nullptr;

    // Subset construction: DFA state 0 is the empty set (dead), 1 the start.
    auto pattern = std::unique_ptr<DigitPattern>(new DigitPattern());
    std::map<std::vector<int32_t>, int32_t> ids;
    std::vector<std::vector<int32_t>> sets;
    auto intern = [&](std::vector<int32_t> set) -> int32_t {
        const auto found = ids.find(set);
        if (found != ids.end()) return found->second;
        const auto id = static_cast<int32_t>(sets.size());
        ids.emplace(set, id);
        pattern->accepting_.push_back(std::binary_search(set.begin(), set.end(), whole.end) ? 1 : 0);
        pattern->next_.push_back({});
        sets.push_back(std::move(set));
        return id;
    };
    intern({});
    intern(nfa.Closure({whole.start}));
    for (size_t id = 0; id < sets.size(); ++id) {
        if (sets.size() > kMaxStates) return nullptr;
        for (int digit = 0; digit < 10; ++digit) {
            std::vector<int32_t> moved;
            for (const int32_t state : sets[id]) {
                const Nfa::State &from = nfa.states[state];
                if (from.digits & (1u << digit)) moved.push_back(from.target);
            }
            const int32_t next = moved.empty() ? 0 : intern(nfa.Closure(std::move(moved)));
            pattern->next_[id][digit] = next;
        }
    }
    return pattern;
}

}  // namespace relay_phone

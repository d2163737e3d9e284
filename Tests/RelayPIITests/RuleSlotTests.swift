import RelayCore
@testable import RelayPII
import Testing

@Suite struct RuleSlotTests {
    /// The written-out switch gives every (field, platform) pair the slot worked out from the
    /// rule keys: equal keys share a slot, omitted pairs have none, every slot below the count.
    @Test func theSwitchIsTheTableWorkedOutFromTheKeys() {
        var slots = Set<Int>()
        for field in IdentityField.allCases {
            for platform in Platform.allCases {
                let slot = IdentityNormalizer.ruleSlot(field, for: platform)
                #expect(slot == IdentityNormalizer.ruleSlotFromKeys(field, for: platform), "\(field) for \(platform)")
                if let slot {
                    slots.insert(slot)
                    #expect(IdentityNormalizer.ruleField(slot: slot) == field, "slot \(slot)")
                    #expect(IdentityNormalizer.ruleSlotBit(field, for: platform) == 1 << UInt64(slot))
                } else {
                    #expect(IdentityNormalizer.ruleSlotBit(field, for: platform) == 0)
                }
            }
        }
        #expect(slots == Set(0..<IdentityNormalizer.ruleSlotCount))
        #expect(IdentityNormalizer.ruleSlotCount == IdentityNormalizer.ruleSlotCountFromKeys)
    }

    /// The written-out twins of each slot are those worked out from the rule keys.
    @Test func theTwinSwitchIsTheTableWorkedOutFromTheKeys() {
        for slot in 0..<IdentityNormalizer.ruleSlotCountFromKeys {
            #expect(IdentityNormalizer.sameRuleSlotBits(slot: slot) == IdentityNormalizer.sameRuleSlotBitsFromKeys(slot: slot), "slot \(slot)")
        }
        #expect(IdentityNormalizer.sameRuleSlotBits(slot: IdentityNormalizer.ruleSlotCountFromKeys) == 0)
    }

    /// Slots of the same rule sent hashed and plain are a city's and a country's (the cache asks
    /// only for those), each the pair of a hashed and a plain slot of the field.
    @Test func slotsOfOneRuleHashedAndPlainAreTheCitysAndTheCountrys() {
        var fields = Set<IdentityField>()
        for slot in 0..<IdentityNormalizer.ruleSlotCount {
            let twins = IdentityNormalizer.sameRuleSlotBits(slot: slot)
            guard twins != 0 else { continue }
            fields.insert(IdentityNormalizer.ruleField(slot: slot))
            #expect(twins.nonzeroBitCount == 1 && twins & (1 << UInt64(slot)) == 0, "slot \(slot)")
            #expect(IdentityNormalizer.ruleField(slot: twins.trailingZeroBitCount) == IdentityNormalizer.ruleField(slot: slot))
        }
        #expect(fields == [.city, .country])
        #expect(IdentityNormalizer.ruleSlot(.city, for: .tiktok).map(IdentityNormalizer.sameRuleSlotBits) == IdentityNormalizer.ruleSlotBit(.city, for: .meta))
        #expect(IdentityNormalizer.ruleSlot(.country, for: .tiktok).map(IdentityNormalizer.sameRuleSlotBits) == IdentityNormalizer.ruleSlotBit(.country, for: .meta))
    }

    /// A field's slot set holds exactly the slots whose field it is.
    @Test func aFieldsSlotBitsAreItsSlots() {
        for field in IdentityField.allCases {
            let expected = (0..<IdentityNormalizer.ruleSlotCount).filter { IdentityNormalizer.ruleField(slot: $0) == field }
                .reduce(UInt64(0)) { $0 | 1 << UInt64($1) }
            #expect(IdentityNormalizer.ruleSlotBits(of: field) == expected, "\(field)")
        }
    }
}

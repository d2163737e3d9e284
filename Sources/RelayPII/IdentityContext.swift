#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import RelayCore
import RelayCrypto

/// What every identifier of one customer shares: the country, looked up once; the phone number
/// parsed once by libphonenumber however many platforms want it; and one byte buffer that every
/// value of the customer is normalised into and hashed from.
///
/// The buffer holds, in order, the values hashed so far (each hashed once: different rules often
/// give the same value, a Latin name for Meta, Google and TikTok, an address outside Gmail for
/// Google and the rest, and comparing a few bytes costs far less than a digest), then the free
/// part the next value is normalised into (``withScratch(capacity:_:)``).
///
/// Not `Sendable`: it lives inside one event's preparation. Exclusivity of its stored properties
/// is not checked at run time: the class never leaves that thread and no access to them overlaps
/// another (checked, `digest(of:)` alone cost ~2,100 instructions per order in
/// `swift_beginAccess`, callgrind of `relay-hot-path`).
public final class IdentityContext {
    let country: CountryTable.Country?

    /// The last phone number parsed to an E.164 form, and that form: one customer has one phone,
    /// which every platform's rule starts from. Plain bytes (no reference counted field), so
    /// reading it copies nothing: a `Result` of ``NormalizedBytes`` cost ~265 instructions a copy,
    /// three copies an order (callgrind of `relay-hot-path`). A number over 32 bytes is parsed
    /// again for each rule.
    @exclusivity(unchecked) private var lastPhone = ParsedPhone()

    private struct ParsedPhone {
        var raw: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        /// -1 when no number is held.
        var rawCount = -1
        var e164: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var e164Count = 0
    }

    /// The buffer: `kept` bytes of hashed values, then free space up to `capacity`.
    @exclusivity(unchecked) private var buffer: UnsafeMutablePointer<UInt8>?
    @exclusivity(unchecked) private var capacity = 0
    @exclusivity(unchecked) private var kept = 0
    /// The one block the first `buffer` and the first `hashed` share (``grow(toHold:)``), freed
    /// with the context unless its owner gave it (``useFirstBlock(_:)``); `nil` until the first value.
    @exclusivity(unchecked) private var firstBlock: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var ownsFirstBlock = true
    /// The hashed values, by their place in `buffer`.
    @exclusivity(unchecked) private var hashed: UnsafeMutablePointer<HashedValue>?
    @exclusivity(unchecked) private var hashedCount = 0
    @exclusivity(unchecked) private var hashedCapacity = 0
    /// Bit `n % 64` set when a hashed value has `n` bytes: a value of no such length is not
    /// looked for among them.
    @exclusivity(unchecked) private var hashedLengths: UInt64 = 0
    /// Copies of the values longer than ``NormalizedBytes/inlineCapacity`` that identifiers of
    /// this customer reference (``keepLong(_:)``), freed with the context. Rare: a value that long
    /// is an unusual email address or external id.
    @exclusivity(unchecked) private var longValues: [UnsafeMutableBufferPointer<UInt8>] = []
    /// Digests worked out (values hashed), for tests: each distinct value once.
    @exclusivity(unchecked) private(set) var digestsComputed = 0

    private struct HashedValue {
        let offset: Int32
        let count: Int32
        let digest: SHA256Digest
    }

    /// Room for one order's values (about 200 bytes for all rules of a typical customer).
    private static let initialCapacity = 512
    /// Room for the first hashed values, in the first block before the buffer: about one
    /// order's, and few enough that the block is a small one for `malloc` (at most 1,032 bytes,
    /// what glibc keeps per thread).
    private static let firstHashedCapacity = 12
    private static var firstHashedBytes: Int { firstHashedCapacity * MemoryLayout<HashedValue>.stride }

    /// The country hint's bytes when ``CountryTable/lookup(ascii:)`` answered for them (ASCII) and
    /// there are at most 32: its answer is then ``country``. The country field's rules read the
    /// same value, once per platform rule, and take the answer from here (``countryLookup(ascii:)``).
    private let hintBytes: (UInt64, UInt64, UInt64, UInt64)
    /// -1 when no hint is held.
    private let hintCount: Int

    public init(countryHint: RawPII?) {
        // Read as bytes (a code in place, an ASCII name folded on the stack); other text as a String.
        var held: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var heldCount = -1
        let lookedUp: CountryTable.Country?? = countryHint?.withUTF8 { hint in
            let found = CountryTable.lookup(ascii: hint)
            if case .some = found, hint.count <= MemoryLayout.size(ofValue: held), let base = hint.baseAddress {
                withUnsafeMutableBytes(of: &held) { $0.baseAddress!.copyMemory(from: base, byteCount: hint.count) }
                heldCount = hint.count
            }
            return found
        }
        hintBytes = held
        hintCount = heldCount
        country = lookedUp ?? countryHint.flatMap { CountryTable.lookup($0.unredactedValue) }
    }

    /// ``CountryTable/lookup(ascii:)`` of `bytes`: ``country`` when `bytes` are the country hint's,
    /// byte for byte (the country field of the customer the context was made for), else looked up.
    func countryLookup(ascii bytes: UnsafeBufferPointer<UInt8>) -> CountryTable.Country?? {
        if bytes.count == hintCount {
            var held = hintBytes
            let same = withUnsafeBytes(of: &held) { held in
                sameBytes(UnsafeBufferPointer(start: held.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count), bytes)
            }
            if same { return .some(country) }
        }
        return CountryTable.lookup(ascii: bytes)
    }

    deinit {
        // The first block holds the first hashed values and the first buffer; either may have
        // moved out of it since (``grow(toHold:)``, ``keep(_:digest:)``).
        if !isInFirstBlock(hashed) { hashed?.deallocate() }
        if !isInFirstBlock(buffer) { buffer?.deallocate() }
        if ownsFirstBlock { firstBlock?.deallocate() }
        for value in longValues { value.deallocate() }
    }

    /// A copy of `value` that lives as long as the context: where a ``NormalizedBytes`` too long
    /// to hold inline keeps its bytes (the customer's buffer moves when it grows, so not there).
    func keepLong(_ value: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: value.count)
        _ = copy.initialize(from: value)
        longValues.append(copy)
        return UnsafeBufferPointer(copy)
    }

    /// Calls `body` with the E.164 form of `raw` when it is the number parsed last
    /// (``rememberE164(_:for:)``); `nil` otherwise.
    func withRememberedE164<Result>(for raw: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        guard lastPhone.rawCount == raw.count else { return nil }
        let same = withUnsafeBytes(of: &lastPhone.raw) { held in
            sameBytes(UnsafeBufferPointer(start: held.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count), raw)
        }
        guard same else { return nil }
        let count = lastPhone.e164Count
        return withUnsafeBytes(of: &lastPhone.e164) { held in
            body(UnsafeBufferPointer(start: held.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
        }
    }

    /// Remembers `e164` as the E.164 form of the number `raw` (when both fit); empty when the
    /// number has none.
    func rememberE164(_ e164: UnsafeBufferPointer<UInt8>, for raw: UnsafeBufferPointer<UInt8>) {
        guard raw.count <= MemoryLayout.size(ofValue: lastPhone.raw), e164.count <= MemoryLayout.size(ofValue: lastPhone.e164),
            let rawBase = raw.baseAddress
        else { return }
        withUnsafeMutableBytes(of: &lastPhone.raw) { $0.baseAddress!.copyMemory(from: rawBase, byteCount: raw.count) }
        if let e164Base = e164.baseAddress, !e164.isEmpty {
            withUnsafeMutableBytes(of: &lastPhone.e164) { $0.baseAddress!.copyMemory(from: e164Base, byteCount: e164.count) }
        }
        lastPhone.rawCount = raw.count
        lastPhone.e164Count = e164.count
    }

    /// Calls `body` with an empty buffer of at least `capacity` bytes: the free part of the
    /// customer's buffer, valid only during `body`. What `body` writes is dropped afterwards
    /// unless it is hashed (``digest(of:)-(UnsafeBufferPointer<UInt8>)``), which keeps it in place.
    func withScratch<Result, Failure: Error>(
        capacity needed: Int, _ body: (inout ScratchBytes) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        reserve(needed)
        var scratch = ScratchBytes(base: buffer.unsafelyUnwrapped + kept, capacity: capacity - kept)
        return try body(&scratch)
    }

    /// SHA-256 of `value`, computed once per customer: a value equal byte for byte to one hashed
    /// before gets that digest. `value` may lie in the buffer's free part (what
    /// ``withScratch(capacity:_:)`` gave), or anywhere else.
    func digest(of value: UnsafeBufferPointer<UInt8>) -> SHA256Digest {
        if let buffer, hashedLengths & Self.lengthBit(value.count) != 0 {
            // Latest first: a value hashed again is usually the one before (one rule's phone form,
            // then the next platform's). Each value is kept once, so the order finds the same entry.
            var index = hashedCount
            while index > 0 {
                index &-= 1
                let entry = hashed.unsafelyUnwrapped[index]
                if Int(entry.count) == value.count,
                    sameBytes(UnsafeBufferPointer(start: buffer + Int(entry.offset), count: value.count), value)
                {
                    return entry.digest
                }
            }
        }
        let digest = SHA256.digest(UnsafeRawBufferPointer(value))
        digestsComputed &+= 1
        keep(value, digest: digest)
        return digest
    }

    /// SHA-256 of `value`'s UTF-8 bytes, computed once per customer. Values are compared byte for
    /// byte, not with `String`'s `==`, which equates canonically equivalent texts that hash
    /// differently (`é` and `e` with a combining acute).
    func digest(of value: String) -> SHA256Digest {
        if let digest = value.utf8.withContiguousStorageIfAvailable({ digest(of: $0) }) { return digest }
        var copy = value
        return copy.withUTF8 { digest(of: $0) }
    }

    /// ``hashedLengths``'s bit for values of `count` bytes.
    @inline(__always)
    private static func lengthBit(_ count: Int) -> UInt64 { 1 &<< UInt64(truncatingIfNeeded: count & 63) }

    /// Records `value` as hashed, moving it to the end of the kept bytes (in place when it
    /// already starts there, as a value normalised into the scratch does). Inlined into
    /// ``digest(of:)-(UnsafeBufferPointer<UInt8>)``: a call for a few stores.
    @inline(__always)
    private func keep(_ value: UnsafeBufferPointer<UInt8>, digest: SHA256Digest) {
        let source = value.baseAddress
        if let buffer, let source, source >= buffer, source < buffer + capacity {
            // In the free part: no growth needed, the bytes are already within `capacity`.
            if source != buffer + kept { memmove(buffer + kept, source, value.count) }
        } else {
            reserve(value.count)
            if let source, !value.isEmpty { (buffer.unsafelyUnwrapped + kept).update(from: source, count: value.count) }
        }
        if hashedCount == hashedCapacity {
            let grown = max(16, hashedCapacity * 2)
            hashed = Self.moved(hashed, count: hashedCount, toCapacity: grown, freeing: !isInFirstBlock(hashed))
            hashedCapacity = grown
        }
        // Both fit in 32 bits: the value lies within `capacity` bytes now, which `grow` keeps below 2 GiB.
        (hashed.unsafelyUnwrapped + hashedCount).initialize(
            to: HashedValue(offset: Int32(truncatingIfNeeded: kept), count: Int32(truncatingIfNeeded: value.count), digest: digest))
        hashedCount &+= 1
        hashedLengths |= Self.lengthBit(value.count)
        kept &+= value.count
    }

    /// Makes room for `extra` bytes after the kept ones: the test inlined, the growth not.
    @inline(__always)
    private func reserve(_ extra: Int) {
        if _slowPath(kept &+ extra > capacity || buffer == nil) { grow(toHold: extra) }
    }

    /// Moves the kept bytes into a block with room for `extra` more. The first time, one block
    /// holds room for the first hashed values and the first buffer (``firstBlock``): one
    /// allocation per customer instead of two.
    private func grow(toHold extra: Int) {
        if buffer == nil, extra <= Self.initialCapacity {
            take(firstBlock: UnsafeMutableRawPointer.allocate(byteCount: Self.firstBlockByteCount, alignment: Self.firstBlockAlignment))
            return
        }
        let grown = max(Self.initialCapacity, (kept + extra) * 2)
        // Offsets and counts are kept in 32 bits (``HashedValue``).
        precondition(grown <= Int(Int32.max), "a customer's values fit in 2 GiB")
        buffer = Self.moved(buffer, count: kept, toCapacity: grown, freeing: !isInFirstBlock(buffer))
        capacity = grown
    }

    /// The size of the first block (``useFirstBlock(_:)``): room for the first hashed values,
    /// then the first buffer.
    public static var firstBlockByteCount: Int { firstHashedBytes + initialCapacity }
    /// The first block's alignment (``useFirstBlock(_:)``).
    public static var firstBlockAlignment: Int { MemoryLayout<HashedValue>.alignment }

    /// Takes `block` (``firstBlockByteCount`` bytes aligned to ``firstBlockAlignment``, before
    /// any value is kept) as the first block, which it would otherwise allocate with the first
    /// value: an owner that allocates a block of its own anyway (`PreparedEvent`'s cache) makes
    /// room for it there, one allocation for both. The block stays the caller's: the context never
    /// frees it nor reads it after its last use, and the caller frees it after that.
    public func useFirstBlock(_ block: UnsafeMutableRawPointer) {
        precondition(buffer == nil && hashed == nil, "the first block is given before any value is kept")
        take(firstBlock: block)
        ownsFirstBlock = false
    }

    /// Places the first hashed values and the first buffer in `block`.
    private func take(firstBlock block: UnsafeMutableRawPointer) {
        firstBlock = block
        hashed = block.bindMemory(to: HashedValue.self, capacity: Self.firstHashedCapacity)
        hashedCapacity = Self.firstHashedCapacity
        buffer = (block + Self.firstHashedBytes).bindMemory(to: UInt8.self, capacity: Self.initialCapacity)
        capacity = Self.initialCapacity
    }

    /// Whether `pointer` is where the first block keeps the hashed values or the buffer (not
    /// freed on its own: the block is, with the context).
    private func isInFirstBlock<Element>(_ pointer: UnsafeMutablePointer<Element>?) -> Bool {
        guard let firstBlock, let pointer else { return false }
        let raw = UnsafeMutableRawPointer(pointer)
        return raw == firstBlock || raw == firstBlock + Self.firstHashedBytes
    }

    /// A new block of `capacity` elements starting with the first `count` of `old`, moved; `old`
    /// is freed when `freeing` (not when it lies in ``firstBlock``). How the kept bytes and the
    /// hashed values grow.
    private static func moved<Element>(
        _ old: UnsafeMutablePointer<Element>?, count: Int, toCapacity capacity: Int, freeing: Bool
    ) -> UnsafeMutablePointer<Element> {
        let storage = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        if let old {
            storage.moveInitialize(from: old, count: count)
            if freeing { old.deallocate() }
        }
        return storage
    }
}

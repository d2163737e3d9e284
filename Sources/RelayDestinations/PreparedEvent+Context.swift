import RelayCore

/// A context value that encoders send as the shop gave it, only trimmed of spaces: never hashed,
/// never case-changed (fbclid, ttclid, epik and ScCid are case-sensitive).
public enum ContextField: Int, CaseIterable, Sendable {
    case ip, userAgent, pageURL, fbp, fbc, ttclid, ttp, gclid, gbraid, wbraid, epik, scClickID, scCookie1
}

extension PreparedEvent {
    /// Whether the event has a value of `field` to send (present and not blank).
    @inline(__always)
    public func hasContext(_ field: ContextField) -> Bool {
        contextState(field) & Self.contextSent != 0
    }

    /// Writes `member` (ending with the opening quote), the value of `field` as sent
    /// (``raw(_:)``, escaped) and `closing`, or nothing when there is none; returns whether it
    /// wrote. A value with no spaces to trim and nothing to escape (nearly all) is copied from
    /// where the event's first use put it (``workOutContext()``): inlined, the member and closing
    /// are copies of constant length, and the value one copy from a known place.
    @inline(__always)
    @discardableResult
    public func writeContext(
        _ field: ContextField, member: StaticString, closing: StaticString = "\"", into writer: inout JSONWriter
    ) -> Bool {
        let state = contextState(field)
        guard state & Self.contextSent != 0 else { return false }
        writer.fragment(member)
        if state & Self.contextPlain != 0 {
            let range = UnsafeRawPointer(contextText.unsafelyUnwrapped).load(fromByteOffset: field.rawValue &* 8, as: UInt64.self)
            writer.fragment(
                UnsafeBufferPointer(
                    start: contextText.unsafelyUnwrapped + Int(truncatingIfNeeded: range & 0xFFFF_FFFF),
                    count: Int(truncatingIfNeeded: range >> 32)))
        } else {
            writeEscapedContext(field, into: &writer)
        }
        writer.fragment(closing)
        return true
    }

    /// The value of `field` trimmed and escaped (``writeContext(_:member:closing:into:)``'s rare case).
    private func writeEscapedContext(_ field: ContextField, into writer: inout JSONWriter) {
        if let text = withContext(field, { raw($0) }) ?? nil {
            text.withUTF8 { writer.stringContents(utf8: $0) }
        }
    }

    /// `contextStates` holds 4 bits per field (sent, plain) and bit 63 once they are worked out.
    private static var contextSent: UInt64 { 2 }
    private static var contextPlain: UInt64 { 4 }
    private static var contextWorkedOut: UInt64 { 1 << 63 }

    /// The bits of `field`, every field's worked out on first use.
    @inline(__always)
    private func contextState(_ field: ContextField) -> UInt64 {
        if contextStates == 0 { workOutContext() }
        return (contextStates >> UInt64(field.rawValue &* 4)) & 0xF
    }

    /// Works out every field's bits at once (each field goes to one platform or more, so each is
    /// asked for anyway) and copies each plain value's bytes into `contextText`, after a header
    /// of one word per field: its start (low 32 bits) and count (high 32 bits) there. Each field
    /// in turn, written out (``workOut(_:into:)`` inlined with a constant field): no loop over the
    /// cases, no switch per field and no closure called per value.
    private func workOutContext() {
        _ = identifierSlots()
        // The room in the slot block; a larger buffer only when the values outgrow it (that one
        // freed in `deinit`, the room with the block).
        let room = UnsafeMutableRawPointer(contextTextRoom.unsafelyUnwrapped)
        var text = ContextText(
            base: room, room: room, used: ContextField.allCases.count &* 8, capacity: Self.contextTextRoomByteCount,
            states: Self.contextWorkedOut)
        workOut(.ip, event.context.ip, into: &text)
        workOut(.userAgent, event.context.userAgent, into: &text)
        workOut(.pageURL, event.context.pageURL, into: &text)
        workOut(.fbp, event.context.fbp, into: &text)
        workOut(.fbc, event.context.fbc, into: &text)
        workOut(.ttclid, event.context.ttclid, into: &text)
        workOut(.ttp, event.context.ttp, into: &text)
        workOut(.gclid, event.context.gclid, into: &text)
        workOut(.gbraid, event.context.gbraid, into: &text)
        workOut(.wbraid, event.context.wbraid, into: &text)
        workOut(.epik, event.context.epik, into: &text)
        workOut(.scClickID, event.context.scClickID, into: &text)
        workOut(.scCookie1, event.context.scCookie1, into: &text)
        contextText = text.base.assumingMemoryBound(to: UInt8.self)
        contextStates = text.states
    }

    /// ``workOutContext()``'s buffer as it fills: where the values go, how far, and the bits.
    private struct ContextText {
        var base: UnsafeMutableRawPointer
        let room: UnsafeMutableRawPointer
        var used: Int
        var capacity: Int
        var states: UInt64

        /// Makes room for `count` more bytes in a larger buffer (the room in the slot block is
        /// left to the block; a buffer of its own is freed).
        mutating func grow(toHold count: Int) {
            capacity = max(capacity &* 2, used &+ count)
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: base, byteCount: used)
            if base != room { base.deallocate() }
            base = grown
        }
    }

    /// Works out the bits of `field`, whose value is `value`, into `text` and copies the value
    /// there when it is plain. The value borrowed where the event keeps it: no switch on the field.
    @inline(__always)
    private func workOut(_ field: ContextField, _ value: borrowing RawPII?, into text: inout ContextText) {
        var state: UInt64 = 0
        var range: UInt64 = 0
        _ = value?.withUTF8AndPlainness { bytes, knownPlain in
            // As `RawPII.isBlank`: a first byte that is ASCII and not whitespace decides.
            let first = bytes.first ?? 0x20
            let clearlyNotBlank = first < 0x80 && first != 0x20 && !(0x09...0x0D).contains(first)
            if !clearlyNotBlank, isBlank(field) { return }
            state |= Self.contextSent
            let hasEndSpace = first == 0x20 || bytes.last == 0x20
            // The decoder's scan already found no special byte in most values.
            guard !hasEndSpace, knownPlain || JSONWriter.needsNoEscaping(bytes) else { return }
            state |= Self.contextPlain
            if text.used &+ bytes.count > text.capacity { text.grow(toHold: bytes.count) }
            ShortCopy.copy(bytes.baseAddress!, to: text.base + text.used, count: bytes.count)
            range = UInt64(truncatingIfNeeded: text.used) | UInt64(truncatingIfNeeded: bytes.count) << 32
            text.used &+= bytes.count
        }
        text.base.storeBytes(of: range, toByteOffset: field.rawValue &* 8, as: UInt64.self)
        text.states |= state << UInt64(field.rawValue &* 4)
    }

    /// The bytes `contextText` has in the slot block (``allocateSlots()``): the header and 512
    /// bytes of values.
    static var contextTextRoomByteCount: Int { ContextField.allCases.count &* 8 &+ 512 }

    /// Whether the event's value of `field` is blank (``RawPII/isBlank``).
    private func isBlank(_ field: ContextField) -> Bool {
        withContext(field) { $0.isBlank } ?? true
    }

    /// Calls `body` with the event's value of `field`, read where the event keeps it, or returns
    /// `nil` when the event has none.
    private func withContext<Result>(_ field: ContextField, _ body: (RawPII) -> Result) -> Result? {
        switch field {
        case .ip: event.context.ip.map(body)
        case .userAgent: event.context.userAgent.map(body)
        case .pageURL: event.context.pageURL.map(body)
        case .fbp: event.context.fbp.map(body)
        case .fbc: event.context.fbc.map(body)
        case .ttclid: event.context.ttclid.map(body)
        case .ttp: event.context.ttp.map(body)
        case .gclid: event.context.gclid.map(body)
        case .gbraid: event.context.gbraid.map(body)
        case .wbraid: event.context.wbraid.map(body)
        case .epik: event.context.epik.map(body)
        case .scClickID: event.context.scClickID.map(body)
        case .scCookie1: event.context.scCookie1.map(body)
        }
    }
}

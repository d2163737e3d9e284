import RelayCore

/// A context value that encoders send as the shop gave it, only trimmed of spaces: never hashed,
/// never case-changed (fbclid, ttclid, epik and ScCid are case-sensitive).
public enum ContextField: Int, CaseIterable, Sendable {
    case ip, userAgent, pageURL, fbp, fbc, ttclid, ttp, gclid, gbraid, wbraid, epik, scClickID, scCookie1
}

extension PreparedEvent {
    /// Whether the event has a value of `field` to send (present and not blank).
    public func hasContext(_ field: ContextField) -> Bool {
        contextState(field) & Self.contextSent != 0
    }

    /// Writes `member` (ending with the opening quote), the value of `field` as sent
    /// (``raw(_:)``, escaped) and `closing`, or nothing when there is none; returns whether it
    /// wrote. A value with no spaces to trim and nothing to escape, known from its first use, is
    /// copied as it is: the user agent and page URL go to four or five platforms each.
    @discardableResult
    public func writeContext(
        _ field: ContextField, member: StaticString, closing: StaticString = "\"", into writer: inout JSONWriter
    ) -> Bool {
        let state = contextState(field)
        guard state & Self.contextSent != 0 else { return false }
        writer.fragment(member)
        if state & Self.contextPlain != 0 {
            _ = withContextBytes(field) { writer.fragment($0) }
        } else if let text = withContext(field, { raw($0) }) ?? nil {
            text.withUTF8 { writer.stringContents(utf8: $0) }
        }
        writer.fragment(closing)
        return true
    }

    /// `contextStates` holds 4 bits per field: worked out, sent, plain (``writeContext``).
    private static var contextWorkedOut: UInt64 { 1 }
    private static var contextSent: UInt64 { 2 }
    private static var contextPlain: UInt64 { 4 }

    /// The bits of `field`, worked out on first use.
    private func contextState(_ field: ContextField) -> UInt64 {
        let shift = UInt64(field.rawValue &* 4)
        var state = (contextStates >> shift) & 0xF
        guard state == 0 else { return state }
        state = Self.contextWorkedOut
        _ = withContext(field) { value in
            guard !value.isBlank else { return }
            state |= Self.contextSent
            let isPlain = value.withUTF8 { bytes in
                bytes.first != 0x20 && bytes.last != 0x20 && JSONWriter.needsNoEscaping(bytes)
            }
            if isPlain { state |= Self.contextPlain }
        }
        contextStates |= state << shift
        return state
    }

    /// Calls `body` with the UTF-8 bytes of the event's value of `field`, or returns `nil` when
    /// the event has none. Through `withUTF8` on the stored value: passing the value to a closure
    /// (``withContext(_:_:)``) retained and released the event's text on every write.
    private func withContextBytes<Result>(_ field: ContextField, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        switch field {
        case .ip: event.context.ip?.withUTF8(body)
        case .userAgent: event.context.userAgent?.withUTF8(body)
        case .pageURL: event.context.pageURL?.withUTF8(body)
        case .fbp: event.context.fbp?.withUTF8(body)
        case .fbc: event.context.fbc?.withUTF8(body)
        case .ttclid: event.context.ttclid?.withUTF8(body)
        case .ttp: event.context.ttp?.withUTF8(body)
        case .gclid: event.context.gclid?.withUTF8(body)
        case .gbraid: event.context.gbraid?.withUTF8(body)
        case .wbraid: event.context.wbraid?.withUTF8(body)
        case .epik: event.context.epik?.withUTF8(body)
        case .scClickID: event.context.scClickID?.withUTF8(body)
        case .scCookie1: event.context.scCookie1?.withUTF8(body)
        }
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

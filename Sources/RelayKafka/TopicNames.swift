#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A consumer's topic names as Swift strings, made once per topic and given to every record of
/// it. A name longer than 15 bytes is not held inline in a `String`: made afresh per record, it
/// was an allocation per record, retained and released by every copy of the record's position
/// on every thread, and compared byte by byte wherever positions are matched (settlement); one
/// string per topic costs none of that, and equal names compare by identity.
final class TopicNames: Sendable {
    /// Topics remembered at most (a pattern subscription may match many); past it, names are
    /// made per record again.
    static let capacity = 64
    private let names = Mutex<[String]>([])

    /// The name `cName` spells, as the string made for it the first time.
    func name(_ cName: UnsafePointer<CChar>) -> String {
        names.withLock { names in
            for name in names where name.withCString({ strcmp($0, cName) == 0 }) { return name }
            let name = String(cString: cName)
            if names.count < Self.capacity { names.append(name) }
            return name
        }
    }
}

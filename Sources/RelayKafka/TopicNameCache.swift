#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The topic names of recent records, handed out again instead of one new `String` per record.
///
/// A topic name longer than 15 bytes does not fit in a small string: `String(cString:)` allocated
/// (and the record's release freed) a buffer for every record polled. A consumer reads from a few
/// topics (its input, the retry topic), so a handful of names compared byte for byte (the name
/// itself, not librdkafka's topic handle, whose address could be reused) finds the name.
struct TopicNameCache {
    /// Names kept, most recently added last; at most ``capacity``.
    private(set) var names: [String] = []
    static let capacity = 8

    /// The name `cString` spells, the one already kept when there is one.
    mutating func name(_ cString: UnsafePointer<CChar>) -> String {
        let length = strlen(cString)
        for index in names.indices {
            let same = names[index].utf8.withContiguousStorageIfAvailable { stored in
                stored.count == length && memcmp(stored.baseAddress!, cString, length) == 0
            }
            if same == true { return names[index] }
        }
        let name = String(cString: cString)
        if names.count == Self.capacity { names.removeFirst() }
        names.append(name)
        return name
    }
}

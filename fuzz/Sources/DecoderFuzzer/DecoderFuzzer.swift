@testable import RelayCore

/// libFuzzer entry point: any bytes must either decode or fail with a typed error that has a
/// reason, the same through the direct reader as through the JSON tree; the parser must never
/// crash, hang or read out of bounds (AddressSanitizer); the tape must read what the tree reads;
/// and what the writer emits for a parsed document must parse again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    let decoder = OrderEventDecoder()
    let decoded = Result { () throws(OrderEventDecodingError) in try decoder.decode(bytes) }
    switch decoded {
    case .success(let event): precondition(!event.orderID.isEmpty, "a decoded event has an order id")
    case .failure(let error): precondition(!error.description.isEmpty, "every refusal has a reason")
    }
    // The direct reader (valid events straight from the bytes) and the tree agree on every input.
    let throughTree = Result { () throws(OrderEventDecodingError) in try decoder.decodeThroughTree(bytes) }
    precondition(decoded == throughTree, "the direct reader and the tree disagree")
    // The tape (the sandbox's reading of request bodies) accepts and refuses what the tree does.
    let tree = Result { () throws(JSONParseError) in try JSONParser().parse(bytes) }
    let tape = Result { () throws(JSONParseError) in try JSONTape(parsing: bytes).root.tree }
    precondition(tree == tape, "the tape and the tree disagree")
    if let document = try? JSONParser().parse(bytes) {
        var writer = JSONWriter()
        writer.value(document)
        precondition((try? JSONParser().parse(writer.bytes)) == document, "what we write reads back the same")
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable through `<Target>_main`; hand control to libFuzzer's driver.
@_cdecl("DecoderFuzzer_main")
func decoderFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzz(data, size) }
}

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as a ``LocalHTTPServer`` handler sees it.
public struct ServerRequest: Sendable {
    public var method: String
    /// Path without the query string.
    public var path: String
    /// Query parameters, percent-decoded.
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The response a handler returns.
public struct ServerResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}

/// What a handler decides: a response (or `nil` to drop the connection) and a delay before it.
public struct ServerReply: Sendable {
    public var response: ServerResponse?
    public var delayMilliseconds: Int

    public init(_ response: ServerResponse?, delayMilliseconds: Int = 0) {
        self.response = response
        self.delayMilliseconds = delayMilliseconds
    }
}

/// A small HTTP/1.1 server on SwiftNIO for local endpoints: the relay's `/metrics`, `/healthz`
/// and `/readyz`, and the sandbox destinations.
public final class LocalHTTPServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The bound port (useful with port 0).
    public let port: Int

    public init(
        host: String, port: Int, threads: Int = 1, handler: @escaping @Sendable (ServerRequest) -> ServerReply
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.group = group
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RequestHandler(handler: handler))
                }
            }
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.port = channel.localAddress?.port ?? port
    }

    public func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

/// `application/x-www-form-urlencoded` / query-string decoding.
public enum FormDecoding {
    public static func decode(_ body: [UInt8]) -> [String: String] {
        decodeBytes(body).mapValues { String(decoding: $0, as: UTF8.self) }
    }

    /// The fields with their values as bytes: a Meta body's `data` field is megabytes of JSON
    /// that a caller parses as bytes, with no `String` (and UTF-8 validation) in between.
    /// Empty pairs are skipped; a pair without `=` is a key with an empty value.
    public static func decodeBytes(_ body: [UInt8]) -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        body.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = firstIndex(of: UInt8(ascii: "&"), in: buffer, from: start)
                if end > start {
                    let separator = firstIndex(of: UInt8(ascii: "="), in: buffer, from: start, to: end)
                    let key = percentDecodedBytes(buffer: UnsafeBufferPointer(rebasing: buffer[start..<separator]))
                    let value = percentDecodedBytes(buffer: UnsafeBufferPointer(rebasing: buffer[min(separator + 1, end)..<end]))
                    result[String(decoding: key, as: UTF8.self)] = value
                }
                start = end + 1
            }
        }
        return result
    }

    /// The index of the first `byte` in `buffer[start..<end]` (`end` by default the count), or
    /// `end`: `memchr`, not a byte-by-byte closure over megabytes.
    private static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int? = nil) -> Int {
        let end = end ?? buffer.count
        guard start < end, let base = buffer.baseAddress, let found = memchr(base + start, Int32(byte), end - start) else {
            return end
        }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// `+` is a space and `%XY` a byte; a `%` without two hex digits stays as it is. One pass into
    /// an output of the input's size at most (a Meta body is megabytes of `%XY`).
    private static func percentDecodedBytes(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        let output = [UInt8](unsafeUninitializedCapacity: input.count) { output, count in
            var position = 0
            count = 0
            while position < input.count {
                let byte = input[position]
                if byte == UInt8(ascii: "+") {
                    output[count] = 0x20
                } else if byte == UInt8(ascii: "%"), position + 2 < input.count, let high = hexValue(input[position + 1]),
                    let low = hexValue(input[position + 2])
                {
                    output[count] = high << 4 | low
                    position += 2
                } else {
                    output[count] = byte
                }
                count += 1
                position += 1
            }
        }
        return output
    }
}

private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    // Used only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: @Sendable (ServerRequest) -> ServerReply
    private var head: HTTPRequestHead?
    /// The request's body so far, in one array reserved from its `Content-Length` and reused by
    /// the connection's next requests: each part NIO's decoder hands on (a slice of a socket
    /// read) is copied once, with no array per part and no copies as the array grows.
    private var body: [UInt8] = []

    /// The most a `Content-Length` reserves up front (64 MiB, the sandboxes' largest JSON body):
    /// a larger body still arrives, in an array that grows.
    static let maximumReservation = 64 << 20

    init(handler: @escaping @Sendable (ServerRequest) -> ServerReply) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.removeAll(keepingCapacity: true)
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > 0 {
                body.reserveCapacity(min(length, Self.maximumReservation))
            }
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            self.head = nil
            let reply = handler(Self.makeRequest(head: head, body: body))
            let keepAlive = head.isKeepAlive
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let write: @Sendable () -> Void = { [self] in
                guard let response = reply.response else {
                    boundContext.value.close(promise: nil)
                    return
                }
                self.write(response, keepAlive: keepAlive, context: boundContext.value)
            }
            if reply.delayMilliseconds > 0 {
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(reply.delayMilliseconds))) { write() }
            } else {
                write()
            }
        }
    }

    private func write(_ response: ServerResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { boundContext.value.close(promise: nil) }
        }
    }

    static func makeRequest(head: HTTPRequestHead, body: [UInt8]) -> ServerRequest {
        let uri = head.uri
        var path = uri
        var query: [String: String] = [:]
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = FormDecoding.decode(Array(uri[uri.index(after: mark)...].utf8))
        }
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        return ServerRequest(method: head.method.rawValue, path: path, query: query, headers: headers, body: body)
    }
}

import CCurl
import CRelayShims
import Foundation
import Synchronization

/// Settings of the libcurl client.
public struct CurlHTTPClientConfiguration: Sendable {
    /// Connect timeout, milliseconds.
    public var connectTimeoutMilliseconds: Int = 5_000
    /// Most parallel connections per host (HTTP/2 multiplexes many requests over one).
    public var maximumConnectionsPerHost: Int = 16
    /// Verify the server certificate and host name. Only tests against local plain-HTTP servers
    /// could need otherwise; TLS to the platforms is always verified.
    public var verifyTLS: Bool = true

    public init() {}
}

/// An HTTP client over libcurl's multi interface: one event-loop thread drives every transfer,
/// connections are reused (and HTTP/2 multiplexed where the server offers it), and callers get an
/// `async` API with no curl type in sight.
public final class CurlHTTPClient: HTTPExecutor, Sendable {
    private let state: Mutex<State>
    /// The multi handle is touched only by the loop thread, except `curl_multi_wakeup`, which
    /// libcurl documents as callable from any thread.
    private let multi: SendableHandle
    private let configuration: CurlHTTPClientConfiguration
    private let stopped = DispatchSemaphore(value: 0)

    private struct State {
        var submitted: [Transfer] = []
        var isShutDown = false
    }

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    public init(configuration: CurlHTTPClientConfiguration = CurlHTTPClientConfiguration()) {
        _ = Self.globalInit
        self.configuration = configuration
        self.state = Mutex(State())
        let handle = curl_multi_init()!
        relay_cshim_curl_multi_setopt_long(handle, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        relay_cshim_curl_multi_setopt_long(
            handle, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maximumConnectionsPerHost)
        self.multi = SendableHandle(pointer: handle)
        let thread = Thread { [self] in
            // Named from inside: on Linux a name set before `start()` never reaches the OS thread.
            Thread.current.name = "relay-http"
            runLoop()
        }
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi.pointer)
    }

    /// Stops the loop thread; transfers still running fail with ``HTTPClientError/Kind/shutdown``.
    public func shutdown() {
        let alreadyShutDown = state.withLock { state in
            defer { state.isShutDown = true }
            return state.isShutDown
        }
        guard !alreadyShutDown else { return }
        curl_multi_wakeup(multi.pointer)
        stopped.wait()
    }

    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let result: Result<HTTPResponse, HTTPClientError> = await withCheckedContinuation { continuation in
            let transfer = Transfer(request: request, continuation: continuation)
            let accepted = state.withLock { state in
                guard !state.isShutDown else { return false }
                state.submitted.append(transfer)
                return true
            }
            if accepted {
                curl_multi_wakeup(multi.pointer)
            } else {
                continuation.resume(returning: .failure(HTTPClientError(kind: .shutdown, message: "client is shut down")))
            }
        }
        return try result.get()
    }

    // MARK: - Loop thread

    private func runLoop() {
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        var idleHandles: [UnsafeMutableRawPointer] = []
        var running: Int32 = 0
        while true {
            let (submitted, isShutDown) = state.withLock { state in
                defer { state.submitted.removeAll() }
                return (state.submitted, state.isShutDown)
            }
            if isShutDown {
                for transfer in submitted + Array(active.values) {
                    transfer.complete(.failure(HTTPClientError(kind: .shutdown, message: "client shut down")))
                }
                for (easy, _) in active {
                    curl_multi_remove_handle(multi.pointer, easy)
                    curl_easy_cleanup(easy)
                }
                for easy in idleHandles { curl_easy_cleanup(easy) }
                stopped.signal()
                return
            }
            for transfer in submitted {
                let easy = idleHandles.popLast() ?? curl_easy_init()!
                if let error = transfer.configure(easy: easy, configuration: configuration) {
                    curl_easy_reset(easy)
                    idleHandles.append(easy)
                    transfer.complete(.failure(error))
                    continue
                }
                active[easy] = transfer
                curl_multi_add_handle(multi.pointer, easy)
            }
            curl_multi_perform(multi.pointer, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi.pointer, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi.pointer, easy)
                if let transfer = active.removeValue(forKey: easy) {
                    transfer.finish(easy: easy, code: code)
                }
                curl_easy_reset(easy)
                idleHandles.append(easy)
            }
            curl_multi_poll(multi.pointer, nil, 0, 1000, nil)
        }
    }
}

/// A curl handle that only the loop thread uses (see ``CurlHTTPClient``).
private struct SendableHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// One request in flight. Created on the caller's task, then touched only by the loop thread.
private final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    private var continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>?
    var responseBody: [UInt8] = []
    /// Where curl is in the request body (see ``readCallback``).
    var upload: HTTPBody.Reader
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init(request: HTTPRequest, continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) {
        self.request = request
        self.continuation = continuation
        upload = HTTPBody.Reader(request.content)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
    }

    func complete(_ result: Result<HTTPResponse, HTTPClientError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }

    func configure(easy: UnsafeMutableRawPointer, configuration: CurlHTTPClientConfiguration) -> HTTPClientError? {
        guard relay_cshim_curl_setopt_string(easy, CURLOPT_URL, request.url) == CURLE_OK else {
            return HTTPClientError(kind: .invalidRequest, message: "URL rejected by libcurl")
        }
        // The transfer outlives its easy handle's use: callbacks find it through this pointer.
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        relay_cshim_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        relay_cshim_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        relay_cshim_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMilliseconds)
        relay_cshim_curl_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        relay_cshim_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, configuration.verifyTLS ? 1 : 0)
        relay_cshim_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, configuration.verifyTLS ? 2 : 0)
        relay_cshim_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        if request.method == "POST" {
            relay_cshim_curl_setopt_long(easy, CURLOPT_POST, 1)
            relay_cshim_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.content.count))
            // curl pulls the body through the read callback straight from `request.content`'s
            // pieces (which this transfer keeps alive) into its upload buffer: no joined copy of a
            // megabyte-sized body, and not a second one as COPYPOSTFIELDS would make. "POST with a
            // read callback: set CURLOPT_POST and CURLOPT_POSTFIELDSIZE" (libcurl, CURLOPT_POST);
            // the seek callback lets curl rewind when it resends on a reused connection that
            // turned out dead (CURLOPT_SEEKFUNCTION).
            relay_cshim_curl_setopt_pointer(easy, CURLOPT_READDATA, opaque)
            relay_cshim_curl_setopt_read_function(easy, readCallback)
            relay_cshim_curl_setopt_pointer(easy, CURLOPT_SEEKDATA, opaque)
            relay_cshim_curl_setopt_seek_function(easy, seekCallback)
        } else if request.method != "GET" {
            relay_cshim_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // Suppress curl's default "Expect: 100-continue" round trip for large bodies.
        list = curl_slist_append(list, "Expect:")
        for header in request.headers {
            list = curl_slist_append(list, "\(header.name): \(header.value)")
        }
        headerList = list
        relay_cshim_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        relay_cshim_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, opaque)
        relay_cshim_curl_setopt_write_function(easy, writeCallback)
        return nil
    }

    func finish(easy: UnsafeMutableRawPointer, code: CURLcode) {
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            let kind: HTTPClientError.Kind = code == CURLE_OPERATION_TIMEDOUT ? .timeout : .transport
            complete(.failure(HTTPClientError(kind: kind, message: message)))
            return
        }
        var status = 0
        relay_cshim_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var retryAfter: String? = nil
        var header: UnsafeMutablePointer<curl_header>? = nil
        if curl_easy_header(easy, "Retry-After", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
            let value = header?.pointee.value
        {
            retryAfter = String(cString: value)
        }
        complete(.success(HTTPResponse(status: status, retryAfter: retryAfter, body: responseBody)))
    }
}

/// Hands curl the next part of the request body.
private let readCallback: relay_cshim_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.upload.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

/// Moves the read position for a resend (curl only ever asks for an absolute offset).
private let seekCallback: relay_cshim_seek_callback = { userdata, offset, origin in
    guard let userdata, origin == SEEK_SET else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.upload.seek(to: Int(offset)) ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_FAIL)
}

private let writeCallback: relay_cshim_write_callback = { data, size, count, userdata in
    let length = size * count
    guard let data, let userdata else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

import CCurl
import Foundation

/// Where a transfer's outcome goes: a waiting unary caller, or a stream's bounded buffer.
enum TransferSink: Sendable {
    case unary(CheckedContinuation<CurlResponse, any Error>)
    case stream(StreamBuffer)

    func fail(_ error: any Error) {
        switch self {
        case let .unary(continuation): continuation.resume(throwing: error)
        case let .stream(buffer): buffer.finish(throwing: error)
        }
    }
}

/// One easy handle and everything its callbacks touch. Lives on the loop thread only.
final class Transfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let request: CurlRequest
    let sink: TransferSink
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    /// A failure found by a callback, reported instead of libcurl's own code.
    var failure: CurlError?
    /// Set once the status line is known to be an HTTP error on a stream.
    var streamErrorStatus: Int?

    /// The most headers kept for one response; a server sending more is not trusted further.
    static let maxHeaders = 128
    /// The receive buffer of a streamed transfer (libcurl allows up to 10 MiB).
    static let streamReadBytes = 256 << 10
    /// How much of an HTTP error body a stream keeps for its error message.
    static let maxErrorBody = 4096

    init(id: UInt64, easy: UnsafeMutableRawPointer, request: CurlRequest, sink: TransferSink) {
        self.id = id
        self.easy = easy
        self.request = request
        self.sink = sink
    }

    var status: Int {
        var code = 0
        ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Sets every option of the request on the easy handle.
    func configure() {
        let userData = Unmanaged.passUnretained(self).toOpaque()
        ccurl_setopt_string(easy, CURLOPT_URL, request.url)
        ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        ccurl_setopt_write_cb(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, userData)
        ccurl_setopt_write_cb(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, userData)
        ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        if let timeout = request.timeoutMilliseconds {
            ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout)
        } else {
            ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        }
        if case .stream = sink {
            // Long-lived bodies (container output) come in reads of up to 256 KiB rather than
            // libcurl's default 16 KiB: fewer callbacks and wake-ups per byte.
            ccurl_setopt_long(easy, CURLOPT_BUFFERSIZE, Transfer.streamReadBytes)
        }
        if let path = request.unixSocketPath {
            ccurl_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, path)
        }
        switch request.method {
        case "GET":
            break
        case "HEAD":
            ccurl_setopt_long(easy, CURLOPT_NOBODY, 1)
        case "POST":
            ccurl_setopt_long(easy, CURLOPT_POST, 1)
        default:
            ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.body != nil || request.method == "POST" {
            let bytes = request.body ?? []
            // The size must be set before COPYPOSTFIELDS, which copies exactly that many bytes
            // (the data may hold NULs); the copy outlives Swift's temporary pointer.
            ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            bytes.withUnsafeBytes { raw in
                let pointer = UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                _ = ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, pointer)
            }
        }
        // "Expect:" suppresses the 100-continue round trip libcurl adds to bodies over 1 MiB.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for header in request.headers {
            list = curl_slist_append(list, header)
        }
        headerList = list
        ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
    }

    /// Hands the finished transfer to its caller; `code` is libcurl's result.
    func complete(code: CURLcode) {
        let result: Result<CurlResponse, CurlError>
        if let failure {
            result = .failure(failure)
        } else if code != CURLE_OK {
            let message = String(cString: curl_easy_strerror(code))
            result = .failure(.transport(url: request.url, code: Int(code.rawValue), message: message))
        } else {
            result = .success(CurlResponse(status: status, headers: headers, body: body))
        }
        switch (sink, result) {
        case let (.unary(continuation), _):
            continuation.resume(with: result.mapError { $0 as any Error })
        case let (.stream(buffer), .failure(error)):
            buffer.finish(throwing: error)
        case let (.stream(buffer), .success(response)):
            if response.status >= 400 {
                let text = String(decoding: response.body, as: UTF8.self)
                buffer.finish(throwing: CurlError.httpStatus(url: request.url, status: response.status, body: text))
            } else {
                buffer.finish(throwing: nil)
            }
        }
    }

    /// Frees the easy handle and the header list; call after removing it from the multi handle.
    func release() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
    }
}

/// libcurl's write callback: body bytes for a unary response, or the next chunk of a stream.
let curlWriteCallback: curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let pointer, let userData else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
    switch transfer.sink {
    case .unary:
        guard transfer.body.count + length <= transfer.request.maxResponseBytes else {
            transfer.failure = .responseTooLarge(url: transfer.request.url, limit: transfer.request.maxResponseBytes)
            return Int(CURL_WRITEFUNC_ERROR)
        }
        transfer.body.append(contentsOf: bytes)
        return length
    case let .stream(buffer):
        if transfer.streamErrorStatus == nil, transfer.status >= 400 {
            transfer.streamErrorStatus = transfer.status
        }
        if transfer.streamErrorStatus != nil {
            let room = max(0, Transfer.maxErrorBody - transfer.body.count)
            transfer.body.append(contentsOf: bytes.prefix(room))
            return length
        }
        switch buffer.offer(bytes) {
        case .accepted: return length
        case .full: return Int(CURL_WRITEFUNC_PAUSE)
        case .cancelled: return Int(CURL_WRITEFUNC_ERROR)
        }
    }
}

/// libcurl's header callback: one header line per call, the status line first.
let curlHeaderCallback: curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let pointer, let userData else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new status line (after a 100 Continue, say) starts a new header block.
        transfer.headers.removeAll()
    } else if line == "\r\n" || line == "\n" {
        // The end of a header block: a stream's reader may learn that the server answered.
        if case let .stream(buffer) = transfer.sink, (200..<300).contains(transfer.status) {
            buffer.markResponded()
        }
    } else if let colon = line.firstIndex(of: ":"), transfer.headers.count < Transfer.maxHeaders {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        transfer.headers.append((name: name, value: value))
    }
    return length
}

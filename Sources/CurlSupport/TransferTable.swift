import CCurl

/// The transfers in flight on one loop thread, keyed by id and by easy handle.
/// Owned and used by the loop thread alone.
struct TransferTable {
    private let multi: UnsafeMutableRawPointer
    private var byID: [UInt64: Transfer] = [:]
    private var byEasy: [UnsafeMutableRawPointer: UInt64] = [:]

    init(multi: UnsafeMutableRawPointer) {
        self.multi = multi
    }

    mutating func apply(_ command: CurlLoop.Command) {
        switch command {
        case let .start(id, request, sink):
            guard let easy = curl_easy_init() else {
                sink.fail(CurlError.transport(url: request.url, code: -1, message: "curl_easy_init returned NULL"))
                return
            }
            let transfer = Transfer(id: id, easy: easy, request: request, sink: sink)
            transfer.configure()
            byID[id] = transfer
            byEasy[easy] = id
            curl_multi_add_handle(multi, easy)
        case let .cancel(id):
            guard let transfer = remove(id) else { return }
            transfer.sink.fail(CancellationError())
            transfer.release()
        case let .unpause(id):
            guard let transfer = byID[id] else { return }
            // May call the write callback at once with the data held back at the pause.
            ccurl_unpause(transfer.easy)
        case let .call(body):
            body()
        }
    }

    /// Hands every transfer libcurl reports as done to its caller.
    mutating func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let id = byEasy[easy], let transfer = remove(id) else { continue }
            transfer.complete(code: code)
            transfer.release()
        }
    }

    /// Fails every transfer still in flight with `error` and frees it.
    mutating func failAll(_ error: any Error) {
        for id in Array(byID.keys) {
            guard let transfer = remove(id) else { continue }
            transfer.sink.fail(error)
            transfer.release()
        }
    }

    private mutating func remove(_ id: UInt64) -> Transfer? {
        guard let transfer = byID.removeValue(forKey: id) else { return nil }
        byEasy.removeValue(forKey: transfer.easy)
        curl_multi_remove_handle(multi, transfer.easy)
        return transfer
    }
}

/// One HTTP request as a handler sees it: the whole body has arrived (bounded by
/// ``HTTPServer/Limits/maxBodyBytes``).
public struct HTTPRequest: Sendable {
    /// The method, upper case (`GET`, `POST`, …).
    public var method: String
    /// The path without its query, percent-decoded (e.g. `/jobs/job-1`).
    public var path: String
    /// The query's parameters, percent-decoded; of a repeated name the last value wins.
    public var query: [String: String]
    /// The header fields in the order they came, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body's bytes.
    public var body: [UInt8]
    /// The request target as sent (path and query, still encoded), e.g. to redirect elsewhere.
    public var target: String

    /// Creates a request (the server makes them; tests may too); `target` defaults to `path`.
    public init(method: String, path: String, query: [String: String] = [:], headers: [(name: String, value: String)] = [], body: [UInt8] = [], target: String? = nil) {
        self.target = target ?? path
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of the first header field named `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The value of cookie `name` from the `Cookie` header, or nil.
    public func cookie(_ name: String) -> String? {
        guard let cookies = header("Cookie") else { return nil }
        for pair in cookies.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
        }
        return nil
    }

    /// Splits a request target (`/a%20b?x=1&y`) into its decoded path and query; nil when the
    /// target is not an absolute path or holds a bad percent escape.
    public static func parseTarget(_ target: String) -> (path: String, query: [String: String])? {
        guard target.hasPrefix("/") else { return nil }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = percentDecoded(parts[0], plusIsSpace: false) else { return nil }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for item in parts[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = percentDecoded(pair[0], plusIsSpace: true),
                      let value = pair.count == 2 ? percentDecoded(pair[1], plusIsSpace: true) : ""
                else { return nil }
                query[name] = value
            }
        }
        return (path, query)
    }

    /// `text` with `%XX` escapes (and `+`, in a query) decoded; nil on a bad escape or bytes
    /// that are not UTF-8.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

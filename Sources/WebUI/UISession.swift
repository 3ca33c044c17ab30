import Crypto
import Foundation
import HTTPServing

/// Who may use the UI: whoever proves the cluster token, either per request
/// (`Authorization: Bearer <token>`) or once at `/login`, which sets a session cookie.
///
/// The cookie is `<expiry>.<mac>`: the Unix second it expires and HMAC-SHA256, keyed with the
/// cluster token, of `titan-ui-session|<expiry>`. It holds no secret, cannot be forged without
/// the token, and stops working when the token changes or the expiry passes. It is `HttpOnly`
/// (no script reads it) and `SameSite=Strict` (no other site's page can send it), which with the
/// `Origin` check on every POST is the defence against cross-site requests.
public struct UISession: Sendable {
    /// The cookie's name.
    public static let cookieName = "titan_ui"
    /// How long a login lasts.
    public static let lifetimeSeconds: Int64 = 12 * 3600

    let token: [UInt8]

    /// Creates the check for `token`, the cluster token's bytes.
    public init(token: [UInt8]) {
        self.token = token
    }

    /// Whether `candidate` is the cluster token (compared in constant time).
    public func isToken(_ candidate: [UInt8]) -> Bool {
        // Compare MACs of both, so the time taken says nothing about where they differ.
        let key = SymmetricKey(data: Array("titan-ui-compare".utf8))
        let expected = Data(HMAC<SHA256>.authenticationCode(for: token, using: key))
        let given = Data(HMAC<SHA256>.authenticationCode(for: candidate, using: key))
        return expected == given && candidate.count == token.count
    }

    /// A cookie value valid until `now + lifetimeSeconds`.
    public func cookieValue(now: Int64) -> String {
        let expiry = now + Self.lifetimeSeconds
        return "\(expiry).\(mac(expiry: expiry))"
    }

    /// Whether `value` is a cookie this token made and it has not expired at `now`.
    public func isValidCookie(_ value: String, now: Int64) -> Bool {
        let parts = value.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let expiry = Int64(parts[0]), expiry > now, expiry <= now + Self.lifetimeSeconds else { return false }
        return isEqualInConstantTime(Array(parts[1].utf8), Array(mac(expiry: expiry).utf8))
    }

    /// Whether `request` proves the token: a valid session cookie or a bearer token.
    public func admits(_ request: HTTPRequest, now: Int64) -> Bool {
        if let cookie = request.cookie(Self.cookieName), isValidCookie(cookie, now: now) { return true }
        if let authorization = request.header("Authorization"), authorization.hasPrefix("Bearer ") {
            return isToken(Array(authorization.dropFirst("Bearer ".count).utf8))
        }
        return false
    }

    /// Whether a state-changing request comes from this UI's own pages: its `Origin` (sent by
    /// every browser on a POST) names the host the request was sent to. A request with no
    /// `Origin` (curl with a bearer token) is allowed.
    public static func isSameOrigin(_ request: HTTPRequest) -> Bool {
        guard let origin = request.header("Origin") else { return true }
        guard let host = request.header("Host") else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    private func mac(expiry: Int64) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array("titan-ui-session|\(expiry)".utf8), using: SymmetricKey(data: token))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    private func isEqualInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

import HTTPServing
import XCTest

@testable import WebUI

/// The UI's admission: the token, the session cookie derived from it, and the origin check.
final class UISessionTests: XCTestCase {
    let session = UISession(token: Array("s3cret-token".utf8))

    func testOnlyTheTokenItselfIsTheToken() {
        XCTAssertTrue(session.isToken(Array("s3cret-token".utf8)))
        XCTAssertFalse(session.isToken(Array("s3cret-toke".utf8)))
        XCTAssertFalse(session.isToken(Array("s3cret-token ".utf8)))
        XCTAssertFalse(session.isToken([]))
    }

    func testACookieIsValidUntilItExpiresAndOnlyForItsToken() {
        let cookie = session.cookieValue(now: 1_000)
        XCTAssertTrue(session.isValidCookie(cookie, now: 1_000))
        XCTAssertTrue(session.isValidCookie(cookie, now: 1_000 + UISession.lifetimeSeconds - 1))
        XCTAssertFalse(session.isValidCookie(cookie, now: 1_000 + UISession.lifetimeSeconds))
        XCTAssertFalse(UISession(token: Array("another".utf8)).isValidCookie(cookie, now: 1_000))
    }

    func testAForgedOrStretchedCookieIsRefused() {
        let cookie = session.cookieValue(now: 1_000)
        let mac = cookie.split(separator: ".")[1]
        // A later expiry with the same MAC, a far-future expiry, garbage.
        XCTAssertFalse(session.isValidCookie("\(1_000 + UISession.lifetimeSeconds + 5).\(mac)", now: 1_000))
        XCTAssertFalse(session.isValidCookie("99999999999.\(mac)", now: 1_000))
        XCTAssertFalse(session.isValidCookie("not-a-cookie", now: 1_000))
        XCTAssertFalse(session.isValidCookie("", now: 1_000))
    }

    func testARequestIsAdmittedByCookieOrBearerToken() {
        let now: Int64 = 5_000
        let withCookie = HTTPRequest(method: "GET", path: "/", headers: [("Cookie", "other=1; \(UISession.cookieName)=\(session.cookieValue(now: now))")])
        XCTAssertTrue(session.admits(withCookie, now: now))
        XCTAssertTrue(session.admits(HTTPRequest(method: "GET", path: "/", headers: [("Authorization", "Bearer s3cret-token")]), now: now))
        XCTAssertFalse(session.admits(HTTPRequest(method: "GET", path: "/", headers: [("Authorization", "Bearer wrong")]), now: now))
        XCTAssertFalse(session.admits(HTTPRequest(method: "GET", path: "/"), now: now))
    }

    func testAPostFromAnotherOriginIsNotSameOrigin() {
        XCTAssertTrue(UISession.isSameOrigin(HTTPRequest(method: "POST", path: "/", headers: [("Host", "127.0.0.1:8070"), ("Origin", "http://127.0.0.1:8070")])))
        XCTAssertFalse(UISession.isSameOrigin(HTTPRequest(method: "POST", path: "/", headers: [("Host", "127.0.0.1:8070"), ("Origin", "http://evil.example")])))
        XCTAssertTrue(UISession.isSameOrigin(HTTPRequest(method: "POST", path: "/", headers: [("Host", "127.0.0.1:8070")])), "curl sends no Origin")
    }

    func testHTMLIsEscaped() {
        XCTAssertEqual(Pages.escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}

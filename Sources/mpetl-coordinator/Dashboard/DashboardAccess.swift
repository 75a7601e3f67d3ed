import Crypto
import Foundation
import Hummingbird
import ZeroMQ

/// Who may read the dashboard of a cluster that has keys: whoever has the keys.
///
/// A browser cannot present a CURVE key, so the keys give a token instead: an HMAC-SHA256 of
/// a fixed label under the cluster's secret key, which any host holding the key file can
/// compute (`mpetl-coordinator keys --dashboard-token --from FILE`) and which says nothing
/// about the key. The command prints the dashboard's address with `?token=…`; the page swaps
/// it for a cookie, so it leaves the address bar and the history. Prometheus sends it as
/// `Authorization: Bearer …`. Without keys there is nothing to check: the dashboard is then
/// only served on loopback, or to anyone with `--dashboard-public`.
struct DashboardAccess: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// The token, as the address and the cookie carry it: 32 lowercase hex digits (128 bits).
    let token: String

    static let cookieName = "mpetl_dashboard"

    init(keys: CurveKeyPair) {
        token = Self.token(for: keys)
    }

    static func token(for keys: CurveKeyPair) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("mpetl-coordinator dashboard access".utf8), using: SymmetricKey(data: Data(keys.secretKey.utf8)))
        return code.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let given = request.uri.queryParameters.get("token") {
            guard matches(given) else { return Self.refusal("the token in the address is not this cluster's") }
            return Response(
                status: .seeOther,
                headers: [
                    .location: request.uri.path,
                    .setCookie: "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict",
                    .cacheControl: "no-store",
                ])
        }
        // The scheme's name is case-insensitive (RFC 9110, 11.1).
        let bearer = request.headers[.authorization].flatMap { header in
            header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst("bearer ".count)) : nil
        }
        guard let presented = bearer ?? request.cookies[Self.cookieName]?.value else {
            return Self.refusal("this cluster has keys, and this request shows no token")
        }
        guard matches(presented) else {
            return Self.refusal(
                "the token this request shows (\(bearer == nil ? "its cookie" : "Authorization: Bearer")) is not "
                    + "this cluster's")
        }
        return try await next(request, context)
    }

    /// Compares in time that does not depend on where the strings differ.
    private func matches(_ presented: String) -> Bool {
        let (expected, given) = (Array(token.utf8), Array(presented.utf8))
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func refusal(_ reason: String) -> Response {
        let text = """
            401: \(reason).
            Open the address mpetl-coordinator printed (it ends in ?token=...), or get the token on a \
            host that has the cluster's key file with `mpetl-coordinator keys --dashboard-token --from FILE` \
            and open /?token=TOKEN. Prometheus sends it as `Authorization: Bearer TOKEN`.

            """
        return Response(
            status: .unauthorized,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

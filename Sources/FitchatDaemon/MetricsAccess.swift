import Accounts
import HTTPServer

/// Who may read `/metrics`: the counters tell an outsider how busy the gym is and which limits are
/// near, so only the machine itself (or its reverse proxy on behalf of a loopback client), or a
/// scraper holding the `metrics_token`. Everyone else gets 404, as if there were no such page.
public enum MetricsAccess {
    public static func allows(
        client: ClientAddress, authorization: String?, trusted: TrustedProxies, token: String?
    ) -> Bool {
        if let token, let authorization, authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        {
            let offered = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            if constantTimeEqual(Array(offered.utf8), Array(token.utf8)) { return true }
        }
        return client.isLocal(trusted: trusted)
    }
}

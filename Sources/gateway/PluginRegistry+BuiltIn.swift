import CORS
import ErrorPages
import GatewayCore
import InjectionDetection
import IPAccess
import RateLimit
import SecurityHeaders

extension PluginRegistry {
    /// The plugins compiled into the `gateway` binary. A new plugin adds one line here.
    static var builtIn: PluginRegistry {
        PluginRegistry([
            SecurityHeadersPlugin.self,
            CORSPlugin.self,
            IPAccessPlugin.self,
            ErrorPagesPlugin.self,
            RateLimitPlugin.self,
            InjectionPlugin.self,
        ])
    }
}

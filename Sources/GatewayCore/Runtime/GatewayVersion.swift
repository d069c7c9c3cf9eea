/// The version `gateway version` prints and events carry as `observer.version`.
public enum GatewayVersion {
    public static let current = "0.1.0"
}

import GatewayCore
import GatewayTesting
@testable import InjectionDetection

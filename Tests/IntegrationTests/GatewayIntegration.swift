// The tests that run the real gateway binary. Each file adds one suite (one concern) to
// this parent suite; Support/ holds the harness, Fixtures/upstream.py the test upstream.
//
// Run:  swift test                                   (everything; builds the gateway too)
//       swift test --filter GatewayIntegration       (only these)
//       swift test --filter HarnessSelfTests         (the harness alone, no gateway needed)
// Environment:
//   GATEWAY_BIN  the binary to test (default: `gateway` next to the test bundle, i.e. the
//                one `swift test` just built in .build/<triple>/debug/)
//   PYTHON3      the interpreter for the upstream (default /usr/bin/python3, else PATH)
// Needs python3, curl and openssl on the machine (the CI script installs them).
//
// Serialized on purpose: every test starts its own gateway and upstream processes, several
// tests measure memory or rely on 1-second timeouts, and the machines this runs on have
// two shared cores. Running them one at a time keeps those measurements meaningful and the
// deadlines generous, at the price of a longer run (about a minute).

import Testing

@Suite("Gateway integration", .serialized)
enum GatewayIntegration {}

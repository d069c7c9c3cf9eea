#!/usr/bin/env python3
"""CPU cost of the injection filter per request, in-process (no sockets, no noise from the
loopback stack): `gateway replay` on N copies of a request with and without the filter; the
difference in user+sys CPU time divided by N is what the filter adds.

  python3 bench/injection-cpu.py [--n 20000] [--rounds 5] [--gateway .build/release/gateway]
  python3 bench/injection-cpu.py --worst [--n 20]

--worst: worst-case inputs instead, each unit repeated to 16 KiB and to 128 KiB, sent as a
text/plain and a JSON body. A linear scan takes about 8x longer for 8x the input; one that
restarts at every position 64x. Prints ms per request and the ratio per unit; the units are
inputs that once were super-linear or crashed (docs/injection.md, "Cost").

Requests are those of ../shared/bench (run.sh): GET /api/patients/123 and POST
/api/appointments with wrk/appointment-4k.json, with wrk's headers.
"""
import argparse, json, os, resource, subprocess, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "bench")
HEADERS = {"Host": "api.health.test", "User-Agent": "bench-wrk/4.1", "Accept": "application/json",
           "Origin": "https://portal.example-health.test"}
CONFIG = """listeners: [{ name: web, address: "127.0.0.1:1" }]
upstreams: { app: { targets: ["127.0.0.1:2"] } }
routes: [{ name: api, match: { path_prefix: / }, upstream: app, filters: [%s] }]
filters: { waf: { plugin: injection, max_body: 256KiB } }
"""
WORST_UNITS = ["a", "word ", "env ", "nohup ", ")", "http:1.2.3.4/", "http:", "=/", "`id+x", "// (\n", "f;", "unix:",
               "http://a/", "'", "<a onx=", "$(", "%25", "union select ", "{{", "\\u00"]

def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gateway", default=os.path.join(REPO, ".build/release/gateway"))
    ap.add_argument("--worst", action="store_true", help="time worst-case inputs at 16 and 128 KiB")
    args = ap.parse_args()
    if args.worst:
        return worst(args)
    body = open(os.path.join(SHARED, "wrk", "appointment-4k.json")).read()
    rows = {
        "get": {"id": "get", "category": "bench", "expect": "benign", "method": "GET", "uri": "/api/patients/123",
                "headers": HEADERS, "body": None},
        "post-4k-json": {"id": "post", "category": "bench", "expect": "benign", "method": "POST", "uri": "/api/appointments",
                         "headers": dict(HEADERS, **{"Content-Type": "application/json"}), "body": body},
    }
    with tempfile.TemporaryDirectory() as d:
        configs = {}
        for name, filters in (("with", "waf"), ("without", "")):
            configs[name] = os.path.join(d, name + ".yaml")
            open(configs[name], "w").write(CONFIG % filters)
        for scenario, row in rows.items():
            path = os.path.join(d, scenario + ".jsonl")
            with open(path, "w") as f:
                line = json.dumps(row) + "\n"
                f.write(line * args.n)
            best = {}
            for _ in range(args.rounds):
                for name in ("with", "without"):
                    t = cpu([args.gateway, "replay", path, "--config", configs[name], "--summary-only"])
                    best[name] = min(best.get(name, t), t)
            extra = (best["with"] - best["without"]) / args.n * 1e6
            print(f"{scenario}: filter adds {extra:.1f} CPU-us/request "
                  f"(replay total {best['with'] / args.n * 1e6:.1f} with, {best['without'] / args.n * 1e6:.1f} without; "
                  f"n={args.n}, best of {args.rounds})")

def worst(args):
    n = min(args.n, 20)
    with tempfile.TemporaryDirectory() as d:
        config = os.path.join(d, "waf.yaml")
        open(config, "w").write(CONFIG % "waf")
        print(f"{'unit':16} {'16 KiB ms':>10} {'128 KiB ms':>11} {'ratio':>6}")
        for unit in WORST_UNITS:
            times = []
            for size in (16 * 1024, 128 * 1024):
                text = (unit * (size // len(unit) + 1))[:size]
                rows = [dict(id="t", category="worst", expect="benign", method="POST", uri="/", body=text,
                             headers={"Host": "h", "Content-Type": "text/plain"}),
                        dict(id="j", category="worst", expect="benign", method="POST", uri="/", body=json.dumps({"v": text}),
                             headers={"Host": "h", "Content-Type": "application/json"})]
                path = os.path.join(d, "rows.jsonl")
                with open(path, "w") as f:
                    f.write("".join(json.dumps(r) + "\n" for r in rows) * n)
                times.append(cpu([args.gateway, "replay", path, "--config", config, "--summary-only"]) / (2 * n) * 1000)
            print(f"{unit!r:16} {times[0]:10.2f} {times[1]:11.2f} {times[1] / max(times[0], 1e-9):6.1f}")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Worst-case inputs for the injection filter: each unit repeated to 16 KiB and to 128 KiB,
sent as a text/plain and a JSON body through `gateway replay` (release build, in process).
A linear scan takes about 8x longer for 8x the input; a scan that restarts at every position
takes 64x. Prints the seconds per request and the ratio for each unit; the units are inputs
that once were super-linear or crashed (see docs/injection.md, "Cost").

  python3 bench/injection-worst.py [--gateway .build/release/gateway] [--n 20]
"""
import argparse, json, os, resource, subprocess, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = ["a", "word ", "env ", "nohup ", ")", "http:1.2.3.4/", "http:", "=/", "`id+x", "// (\n", "f;", "unix:",
         "http://a/", "'", "<a onx=", "$(", "%25", "union select ", "{{", "\\u00"]
CONFIG = """listeners: [{ name: web, address: "127.0.0.1:1" }]
upstreams: { app: { targets: ["127.0.0.1:2"] } }
routes: [{ name: api, match: { path_prefix: / }, upstream: app, filters: [waf] }]
filters: { waf: { plugin: injection, max_body: 256KiB } }
"""

def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", default=os.path.join(REPO, ".build/release/gateway"))
    ap.add_argument("--n", type=int, default=20, help="requests per file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        config = os.path.join(d, "waf.yaml")
        open(config, "w").write(CONFIG)
        print(f"{'unit':16} {'16 KiB ms':>10} {'128 KiB ms':>11} {'ratio':>6}")
        for unit in UNITS:
            times = []
            for size in (16 * 1024, 128 * 1024):
                text = (unit * (size // len(unit) + 1))[:size]
                rows = [{"id": "t", "category": "worst", "expect": "benign", "method": "POST", "uri": "/",
                         "headers": {"Host": "h", "Content-Type": "text/plain"}, "body": text},
                        {"id": "j", "category": "worst", "expect": "benign", "method": "POST", "uri": "/",
                         "headers": {"Host": "h", "Content-Type": "application/json"}, "body": json.dumps({"v": text})}]
                path = os.path.join(d, "rows.jsonl")
                with open(path, "w") as f:
                    for _ in range(args.n):
                        for r in rows:
                            f.write(json.dumps(r) + "\n")
                times.append(cpu([args.gateway, "replay", path, "--config", config, "--summary-only"]) / (2 * args.n) * 1000)
            print(f"{unit!r:16} {times[0]:10.2f} {times[1]:11.2f} {times[1] / max(times[0], 1e-9):6.1f}")

if __name__ == "__main__":
    main()

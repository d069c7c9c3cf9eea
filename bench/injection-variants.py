#!/usr/bin/env python3
"""The same attacks in other places and encodings: takes the GET rows of a corpus (JSONL, the
format of ../shared/corpus) that carry a query string and writes four variants, with the
query parameters moved into a JSON body, a Cookie header, a multipart body, or
double-URL-encoded in the query. Protocol rows (whose attack is the query's syntax itself)
are left out.

  python3 bench/injection-variants.py ../shared/corpus/dev.jsonl OUT_DIR
  for v in json cookie multipart double; do
    .build/release/gateway replay OUT_DIR/moved-$v.jsonl --config conf/injection.yaml --summary-only
  done
"""
import json, os, sys, urllib.parse

def main():
    corpus, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    out = {k: open(os.path.join(out_dir, f"moved-{k}.jsonl"), "w") for k in ("json", "cookie", "multipart", "double")}
    for line in open(corpus, encoding="utf-8"):
        r = json.loads(line)
        if r["method"] != "GET" or "?" not in r["uri"] or r["category"] == "protocol":
            continue
        path, query = r["uri"].split("?", 1)
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if not pairs:
            continue
        base = {k: v for k, v in r.items() if k not in ("uri", "body", "headers")}
        headers = {k: v for k, v in r["headers"].items() if k.lower() not in ("content-type", "cookie")}
        quote = lambda s: urllib.parse.quote(s, safe="")
        variants = {
            "json": dict(base, uri=path, method="POST", body=json.dumps(dict(pairs)),
                         headers=dict(headers, **{"Content-Type": "application/json"})),
            "cookie": dict(base, uri=path, body=None,
                           headers=dict(headers, Cookie="; ".join(f"{k}={quote(v)}" for k, v in pairs))),
            "multipart": dict(base, uri=path, method="POST",
                              headers=dict(headers, **{"Content-Type": "multipart/form-data; boundary=----B"}),
                              body="".join(f'------B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                                           for k, v in pairs) + "------B--\r\n"),
            "double": dict(base, uri=path + "?" + "&".join(f"{quote(quote(k))}={quote(quote(v))}" for k, v in pairs),
                           headers=headers, body=None),
        }
        for name, row in variants.items():
            out[name].write(json.dumps(row) + "\n")
    for f in out.values():
        f.close()

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Validate bench/injection-eval/*.jsonl rows and print counts by category and carrier.

usage: python3 bench/injection-eval/check.py [FILE ...]   (default: attacks.jsonl benign.jsonl)
Exit status 1 if any row is invalid. Warnings do not fail the check."""
import json
import os
import re
import sys
import urllib.parse
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = {"id", "category", "method", "uri", "headers", "body", "expect", "desc"}
ATTACK_CATS = {"sqli", "xss", "lfi", "rfi", "rce", "php", "generic", "protocol"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
HOST = "portal.example-health.test"
CARRIERS = {"query", "path", "form", "json", "fhir-json", "multipart", "multipart-filename", "multipart-file",
            "cookie", "user-agent", "referer", "x-forwarded-host"}


def header(h, name):
    for k, v in h.items():
        if k.lower() == name.lower():
            return v
    return None


def check_multipart(body, ctype, errs):
    m = re.search(r'boundary=("?)([^";]+)\1', ctype)
    if not m:
        errs.append("multipart Content-Type without boundary")
        return
    b = m.group(2)
    if len(b) > 70:
        errs.append("boundary longer than 70 characters")
    if not body.startswith("--" + b + "\r\n"):
        errs.append("body does not start with --boundary CRLF")
    if not body.endswith("\r\n--" + b + "--\r\n"):
        errs.append("body does not end with CRLF --boundary-- CRLF")
    inner = body[len("--" + b + "\r\n"):-len("\r\n--" + b + "--\r\n")]
    parts = inner.split("\r\n--" + b + "\r\n")
    for i, part in enumerate(parts):
        if "\r\n\r\n" not in part:
            errs.append("part %d: no CRLF CRLF after part headers" % i)
            continue
        head, content = part.split("\r\n\r\n", 1)
        if "\n" in head.replace("\r\n", ""):
            errs.append("part %d: bare LF in part headers" % i)
        if not re.match(r'(?i)content-disposition: form-data; name="[^"]*"', head):
            errs.append("part %d: no Content-Disposition: form-data; name=" % i)
        if "--" + b in content:
            errs.append("part %d: boundary appears inside content" % i)


def would_replay_reencode(body):
    """replay (go-ftw semantics) re-encodes a form body only when decoding leaves it unchanged."""
    try:
        decoded = urllib.parse.unquote_plus(body, errors="strict")
    except UnicodeDecodeError:
        return False
    if re.search(r"%(?![0-9A-Fa-f]{2})", body):
        return False
    if decoded != body:
        return False
    enc = "&".join("=".join(urllib.parse.quote_plus(x, safe="") for x in t.split("=", 1)) for t in body.split("&") if t)
    return enc != body


def check_row(r, expect_file):
    errs, warns = [], []
    if set(r) != FIELDS:
        errs.append("fields %s" % sorted(set(r) ^ FIELDS))
        return errs, warns, None
    if not re.fullmatch(r"eval-[a-z]+-\d{3}", r["id"]):
        errs.append("bad id")
    cat, exp = r["category"], r["expect"]
    if expect_file == "attack" and (exp != "attack" or cat not in ATTACK_CATS):
        errs.append("attack row: category %r expect %r" % (cat, exp))
    if expect_file == "benign" and (exp != "benign" or cat != "benign"):
        errs.append("benign row: category %r expect %r" % (cat, exp))
    if r["id"].split("-")[1] != cat:
        errs.append("id does not name the category")
    if r["method"] not in METHODS:
        errs.append("method %r" % r["method"])
    uri = r["uri"]
    if not uri.startswith("/") or re.search(r"[^\x21-\x7e]", uri):
        errs.append("uri must start with / and be printable ASCII without spaces: %r" % uri[:80])
    h = r["headers"]
    if not isinstance(h, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in h.items()):
        errs.append("headers must be an object of strings")
        return errs, warns, None
    for k, v in h.items():
        if re.search(r"[\r\n\x00]", k + v):
            errs.append("CR/LF/NUL in header %s" % k)
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k):
            errs.append("bad header name %r" % k)
    if header(h, "Host") != HOST:
        errs.append("Host must be " + HOST)
    ua = header(h, "User-Agent")
    if not ua:
        errs.append("no User-Agent")
    body = r["body"]
    ctype = header(h, "Content-Type") or ""
    if body is not None and not isinstance(body, str):
        errs.append("body must be string or null")
    elif body:
        if not ctype:
            errs.append("body without Content-Type")
        if r["method"] in ("GET", "HEAD"):
            warns.append("body on %s" % r["method"])
        base = ctype.split(";")[0].strip().lower()
        if base == "application/x-www-form-urlencoded":
            if re.search(r"[^\x21-\x7e]", body):
                errs.append("form body not percent-encoded (raw space/control/non-ASCII)")
            if would_replay_reencode(body):
                warns.append("replay would re-encode this form body")
        elif base in ("application/json", "application/fhir+json", "application/json-patch+json"):
            try:
                json.loads(body)
            except ValueError as e:
                errs.append("JSON body does not parse: %s" % e)
        elif base == "multipart/form-data":
            check_multipart(body, ctype, errs)
    elif ctype:
        warns.append("Content-Type without body")
    m = re.search(r" \[([a-z-]+)\]$", r["desc"])
    carrier = m.group(1) if m else None
    if carrier not in CARRIERS:
        errs.append("desc must end with [carrier], one of %s" % sorted(CARRIERS))
    elif expect_file == "attack":
        ok = {"query": "?" in uri, "path": True, "form": ctype.startswith("application/x-www-form-urlencoded"),
              "json": ctype.startswith("application/json"), "fhir-json": ctype.startswith("application/fhir+json"),
              "multipart": ctype.startswith("multipart/form-data"), "multipart-filename": ctype.startswith("multipart/form-data") and "filename=" in (body or ""),
              "multipart-file": ctype.startswith("multipart/form-data") and "filename=" in (body or ""),
              "cookie": header(h, "Cookie") is not None, "user-agent": True, "referer": header(h, "Referer") is not None,
              "x-forwarded-host": header(h, "X-Forwarded-Host") is not None}[carrier]
        if not ok:
            errs.append("carrier %s does not match the request" % carrier)
    if "\n" in r["desc"]:
        errs.append("desc must be one line")
    return errs, warns, carrier


def main(files):
    bad = 0
    for path in files:
        expect_file = "benign" if "benign" in os.path.basename(path) else "attack"
        table = defaultdict(Counter)
        ids = set()
        n = 0
        nwarn = 0
        with open(path, encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    r = json.loads(line)
                except ValueError as e:
                    print("%s:%d: not JSON: %s" % (path, ln, e))
                    bad += 1
                    continue
                if not isinstance(r, dict):
                    print("%s:%d: not an object" % (path, ln))
                    bad += 1
                    continue
                errs, warns, carrier = check_row(r, expect_file)
                if r.get("id") in ids:
                    errs.append("duplicate id")
                ids.add(r.get("id"))
                for e in errs:
                    print("%s:%d %s: ERROR %s" % (path, ln, r.get("id"), e))
                for w in warns:
                    print("%s:%d %s: warning %s" % (path, ln, r.get("id"), w))
                nwarn += len(warns)
                bad += bool(errs)
                table[r.get("category")][carrier] += 1
        carriers = sorted({c for t in table.values() for c in t}, key=lambda c: (c is None, str(c)))
        short = {"multipart-filename": "mp-fname", "multipart-file": "mp-file", "x-forwarded-host": "xfh", "user-agent": "ua", "fhir-json": "fhir"}
        print("\n%s: %d rows, %d warnings" % (os.path.relpath(path), n, nwarn))
        print("%-9s" % "category" + "".join("%10s" % short.get(c, c) for c in carriers) + "%7s %6s" % ("total", "share"))
        cats = sorted(table)
        for cat in cats + ["ALL"]:
            counts = table[cat] if cat != "ALL" else sum(table.values(), Counter())
            tot = sum(counts.values())
            print("%-9s" % cat + "".join("%10d" % counts[c] for c in carriers) + "%7d %5.1f%%" % (tot, 100.0 * tot / max(n, 1)))
    print("\n%s" % ("OK" if not bad else "%d invalid rows" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    args = sys.argv[1:] or [os.path.join(HERE, "attacks.jsonl"), os.path.join(HERE, "benign.jsonl")]
    sys.exit(main(args))

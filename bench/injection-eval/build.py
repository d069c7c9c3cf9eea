#!/usr/bin/env python3
"""Regenerates attacks.jsonl and benign.jsonl from the hand-written payloads and texts in this folder.
Deterministic (fixed seed). Run from anywhere: python3 bench/injection-eval/build.py"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from attack_ctx import place  # noqa: E402
from payloads_sqli import SQLI  # noqa: E402
from payloads_other import XSS, LFI, RFI, RCE, PHP, GENERIC, PROTOCOL  # noqa: E402

# Spread half of the plain query-string payloads over the other carriers, so that no carrier
# dominates (payloads whose technique is tied to a URL parameter stay in the query).
SPREAD = {"sqli": ["j", "f", "c", "h", "m", "p", "ref", "ua", "xfh"], "xss": ["j", "f", "c", "h", "m", "ref", "p"],
          "lfi": ["j", "f", "c", "m", "p"], "rfi": ["j", "f", "c", "m"], "rce": ["j", "f", "c", "h", "m", "p", "ua"],
          "php": ["j", "f", "c", "m"], "generic": ["j", "f", "c", "h", "m", "ref", "xfh"], "protocol": []}
KEEP = ("parameter", "redirect", "sort", "return url", "probe")


def spread(cat, items):
    out, k = [], 0
    for carrier, desc, payload in items:
        if carrier == "q" and SPREAD[cat] and not any(w in desc.lower() for w in KEEP):
            k += 1
            if k % 2 == 0:
                carrier = SPREAD[cat][(k // 2 - 1) % len(SPREAD[cat])]
        out.append((carrier, desc, payload))
    return out


attacks = []
for cat, items in [("sqli", SQLI), ("xss", XSS), ("lfi", LFI), ("rfi", RFI), ("rce", RCE), ("php", PHP), ("generic", GENERIC), ("protocol", PROTOCOL)]:
    for n, (carrier, desc, payload) in enumerate(spread(cat, items), 1):
        attacks.append(place(cat, carrier, payload, desc, "eval-%s-%03d" % (cat, n)))

import benign_build  # noqa: E402


def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("%s: %d rows" % (name, len(rows)))


write("attacks.jsonl", attacks)
write("benign.jsonl", benign_build.rows)

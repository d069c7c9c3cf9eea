"""Shared helpers for build.py: carriers, encoders and request framing."""
import json
import random
import urllib.parse

HOST = "portal.example-health.test"

UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
]
LANGS = ["en-US,en;q=0.9", "en-GB,en;q=0.8", "es-US,es;q=0.9,en;q=0.7", "de-DE,de;q=0.9,en;q=0.6", "fr-CA,fr;q=0.9,en;q=0.8"]
ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ACCEPT_JSON = "application/json, text/plain, */*"
ACCEPT_FHIR = "application/fhir+json"

rng = random.Random(20261123)


def form_enc(s):
    """application/x-www-form-urlencoded value as a browser writes it."""
    return urllib.parse.quote_plus(s, safe="*")


def url_enc(s):
    """Percent-encoding as a scanner (%20 for space) writes it."""
    return urllib.parse.quote(s, safe="")


def path_enc(s):
    """Path segment as curl --path-as-is / a scripted client sends it: keep / and sub-delims."""
    return urllib.parse.quote(s, safe="/:@!$&'()*+,;=")


def cookie_enc(s):
    """Cookie value as encodeURIComponent writes it."""
    return urllib.parse.quote(s, safe="!'()*-._~")


def json_escape_u(s):
    """JSON string body with quotes, angle brackets and ampersands as \\uXXXX escapes."""
    out = []
    for ch in s:
        if ch in "'\"<>&":
            out.append("\\u%04x" % ord(ch))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


MARK = "@@PAYLOAD@@"


def dump_json(obj, payload, uescape=False):
    """Serialise obj with the payload placed where MARK stands (string value)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":") if rng.random() < 0.5 else (", ", ": "))
    enc = json_escape_u(payload) if uescape else json.dumps(payload, ensure_ascii=False)
    assert text.count('"' + MARK + '"') == 1, text
    return text.replace('"' + MARK + '"', enc)


def boundary():
    if rng.random() < 0.6:
        chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "----WebKitFormBoundary" + "".join(rng.choice(chars) for _ in range(16))
    return "-" * 27 + "".join(rng.choice("0123456789") for _ in range(29))


def multipart(parts, b):
    """parts: (name, filename or None, content type or None, content)."""
    lines = []
    for name, filename, ctype, content in parts:
        lines.append("--" + b)
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        lines.append("Content-Disposition: " + disp)
        if ctype:
            lines.append("Content-Type: " + ctype)
        lines.append("")
        lines.append(content)
    lines.append("--" + b + "--")
    return "\r\n".join(lines) + "\r\n"


def session_cookie():
    hexs = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return "portal_sid=%s; XSRF-TOKEN=%s" % (hexs, "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(24)))


def base_headers(kind="html", ua=None):
    h = {"Host": HOST, "User-Agent": ua or rng.choice(UAS)}
    h["Accept"] = {"html": ACCEPT_HTML, "json": ACCEPT_JSON, "fhir": ACCEPT_FHIR}[kind]
    h["Accept-Language"] = rng.choice(LANGS)
    return h


def row(rid, category, method, uri, headers, body, expect, desc, carrier):
    return {"id": rid, "category": category, "method": method, "uri": uri, "headers": headers,
            "body": body, "expect": expect, "desc": "%s [%s]" % (desc, carrier)}

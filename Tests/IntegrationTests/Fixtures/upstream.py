#!/usr/bin/env python3
"""Test upstream for the gateway integration tests (Python 3 standard library only).

An HTTP/1.1 origin server with keep-alive, one thread per connection. Its own parser is
deliberately strict (it answers 400 and counts `bad_requests` for anything ambiguous) so
that a gateway that forwards a malformed request is caught.

Start:  upstream.py --port 0 --port-file PATH [--name NAME] [--host 127.0.0.1]
                    [--parent-pid PID] [--tls CERT KEY] [--tls-sni NAME CERT KEY ...]
It binds, then writes the chosen port to PATH (atomically) once it accepts connections.

Endpoints (any method unless noted; HEAD gives the GET headers without a body):
  /echo                 JSON: method, target, version, headers as received (ordered
                        [name, value] pairs), body_length, body_sha256, conn_id, conn_requests,
                        (over TLS) tls_session_reused,
                        peer, server
  /bytes?n=N            N bytes of the test pattern (byte i = i % 251), Content-Length
  /chunked?n=N&chunk=K  the same bytes, Transfer-Encoding: chunked (K bytes per chunk)
  /close?n=N            the same bytes, no length: close-delimited
  /slow?ms=N            sleeps N ms, then a small JSON body
  /status/NNN?set=Name:Value   answers status NNN (no body for 1xx/204/304), with the given headers
                               (&body=TEXT: that text/plain body instead of the JSON one)
  /headers?set=Name:Value&set=...   adds the given response headers
  /stats                JSON counters (requests to /stats itself are never counted):
                        accepted (TCP connections accepted), connections (those that carried
                        at least one counted request), requests (counted requests answered:
                        counted when the response starts), active (counted requests in
                        progress), bad_requests (400s
                        this parser gave), aborted (peer vanished mid-request), recent
                        (last 50 [method, target] of counted requests)
  /upload?delay_ms=N    sleeps N ms before reading the body, reads it all, answers JSON
                        length, sha256, pattern_ok (body == test pattern), first_mismatch
  /healthz              answers the health status (200 unless --health-status), for active checks
  /healthz/set?status=N changes it
  /ws                   WebSocket (Upgrade: websocket + Sec-WebSocket-Key): 101, then every
                        masked client frame is echoed back unmasked (same opcode); a close frame
                        is answered with a close frame and the connection closes
  /tunnel               Upgrade: echo: 101, then raw bytes are echoed; on the client's EOF it
                        sends "bye\n" and closes (tests half-close)
A request with "Expect: 100-continue" and a body gets "100 Continue" before the body is read.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
from collections import deque
from urllib.parse import parse_qs, urlsplit

PERIOD = 251
BLOCK_LEN = 65536
# BLOCK[o % PERIOD : o % PERIOD + n] is the pattern from offset o, for n <= BLOCK_LEN.
BLOCK = bytes(i % PERIOD for i in range(BLOCK_LEN + PERIOD))
MAX_HEAD = 1 << 20
TOKEN_CHARS = set(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
REASONS = {100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 418: "I'm a teapot", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def pattern(offset, n):
    """n bytes of the test pattern starting at absolute offset `offset`."""
    out = bytearray()
    while n > 0:
        k = min(n, BLOCK_LEN)
        p = offset % PERIOD
        out += BLOCK[p:p + k]
        offset += k
        n -= k
    return bytes(out)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = 0
        self.connections = 0
        self.requests = 0
        self.active = 0
        self.bad_requests = 0
        self.aborted = 0
        self.next_conn_id = 0
        self.recent = deque(maxlen=50)

    def snapshot(self):
        with self.lock:
            return {"accepted": self.accepted, "connections": self.connections,
                    "requests": self.requests, "active": self.active,
                    "bad_requests": self.bad_requests, "aborted": self.aborted,
                    "recent": list(self.recent)}


STATS = Stats()
HEALTH = {"status": 200}
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class BadRequest(Exception):
    pass


class PeerGone(Exception):
    pass


class Connection:
    def __init__(self, sock, peer, server_name, conn_id):
        self.sock = sock
        self.peer = peer
        self.server_name = server_name
        self.conn_id = conn_id
        self.buf = bytearray()
        self.counted = False
        self.served = 0
        self.pending = None   # (method, target) of a counted request not yet accounted

    # ------------------------------------------------------------------ reading
    def fill(self):
        try:
            data = self.sock.recv(262144)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, socket.timeout, OSError):
            raise PeerGone()
        if not data:
            raise PeerGone()
        self.buf += data

    def read_head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = bytes(self.buf[:i])
                del self.buf[:i + 4]
                return head
            if len(self.buf) > MAX_HEAD:
                raise BadRequest("head too large")
            self.fill()

    def read_line(self, limit=8192):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > limit:
                raise BadRequest("line too long")
            self.fill()

    def take(self, n):
        """Yields exactly n bytes in pieces (never holding more than the receive buffer)."""
        while n > 0:
            if not self.buf:
                self.fill()
            k = min(n, len(self.buf))
            piece = bytes(self.buf[:k])
            del self.buf[:k]
            n -= k
            yield piece

    def read_exact(self, n):
        return b"".join(self.take(n))

    # ------------------------------------------------------------------ upgrades
    def upgrade(self, protocol, extra=()):
        self.account()
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: " + protocol, "Connection: Upgrade"]
        lines += ["%s: %s" % (n, v) for n, v in extra]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def websocket(self, key):
        accept = base64.b64encode(hashlib.sha1(key.encode("latin-1") + WS_GUID).digest()).decode()
        self.upgrade("websocket", [("Sec-WebSocket-Accept", accept)])
        while True:
            b1, b2 = self.read_exact(2)
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.read_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.read_exact(8))[0]
            if not b2 & 0x80:   # clients must mask (RFC 6455 5.1): protocol error
                self.send(ws_frame(0x8, struct.pack(">H", 1002)))
                return
            mask = self.read_exact(4)
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(self.read_exact(n)))
            self.send(ws_frame(opcode, payload))
            if opcode == 0x8:
                return

    def raw_echo(self):
        self.upgrade("echo")
        if self.buf:
            self.send(bytes(self.buf))
            del self.buf[:]
        while True:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
                return
            if not data:
                self.send(b"bye\n")
                return
            self.send(data)

    def body_chunks(self, framing):
        kind, length = framing
        if kind == "length":
            yield from self.take(length)
        elif kind == "chunked":
            while True:
                line = self.read_line()
                size_part = line.split(b";", 1)[0]
                if not size_part or any(c not in b"0123456789abcdefABCDEF" for c in size_part) or len(size_part) > 16:
                    raise BadRequest("bad chunk size %r" % line[:40])
                size = int(size_part, 16)
                if size == 0:
                    while True:  # trailers
                        t = self.read_line()
                        if t == b"":
                            return
                yield from self.take(size)
                if self.read_line(limit=2) != b"":
                    raise BadRequest("missing CRLF after chunk data")

    # ------------------------------------------------------------------ parsing
    @staticmethod
    def parse_head(head):
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            raise BadRequest("bad request line %r" % lines[0][:80])
        method, target, version = parts
        if not method or any(c not in TOKEN_CHARS for c in method):
            raise BadRequest("bad method")
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise BadRequest("bad version")
        if not target or any(c <= 0x20 or c == 0x7F for c in target):
            raise BadRequest("bad target")
        headers = []
        for line in lines[1:]:
            if not line or line[0] in (0x20, 0x09):
                raise BadRequest("obs-fold or empty line")
            name, sep, value = line.partition(b":")
            if not sep or not name or any(c not in TOKEN_CHARS for c in name):
                raise BadRequest("bad header name %r" % line[:40])
            value = value.strip(b" \t")
            if any((c < 0x20 and c != 0x09) or c == 0x7F for c in value):
                raise BadRequest("control character in value")
            headers.append((name.decode("latin-1"), value.decode("latin-1")))
        return method.decode(), target.decode("latin-1"), version.decode(), headers

    @staticmethod
    def framing(headers):
        cl = [v for n, v in headers if n.lower() == "content-length"]
        te = [v for n, v in headers if n.lower() == "transfer-encoding"]
        if cl and te:
            raise BadRequest("Content-Length with Transfer-Encoding")
        if te:
            codings = [c.strip().lower() for v in te for c in v.split(",")]
            if codings != ["chunked"]:
                raise BadRequest("unsupported transfer-coding %r" % te)
            return ("chunked", None)
        if cl:
            if len(cl) != 1 or not cl[0].isdigit() or len(cl[0]) > 18:
                raise BadRequest("bad Content-Length %r" % cl)
            return ("length", int(cl[0]))
        return ("length", 0)

    # ------------------------------------------------------------------ writing
    def send(self, data):
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, socket.timeout, OSError):
            raise PeerGone()

    def account(self):
        """Counts the current request as served. Called before its response is written, so
        that a client that has the response also sees it in /stats."""
        pending, self.pending = self.pending, None
        if pending is not None:
            method, target = pending
            with STATS.lock:
                STATS.active -= 1
                STATS.requests += 1
                STATS.recent.append([method, target])

    def respond(self, status, headers, body=b"", keep_alive=True, head_only=False):
        """body: bytes, or ("stream", total_len_or_None, generator, mode) for big bodies."""
        if status >= 200:
            self.account()
        reason = REASONS.get(status, "Status")
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        names = {n.lower() for n, _ in headers}
        no_body_status = status < 200 or status in (204, 304)
        if isinstance(body, tuple):
            _, total, gen, mode = body
        else:
            total, gen, mode = len(body), None, "length"
        if mode == "length" and not no_body_status and "content-length" not in names:
            out.append("Content-Length: %d" % total)
        if mode == "chunked":
            out.append("Transfer-Encoding: chunked")
        if mode == "close":
            keep_alive = False
        if "connection" not in names:
            out.append("Connection: %s" % ("keep-alive" if keep_alive else "close"))
        out += ["%s: %s" % (n, v) for n, v in headers]
        self.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if head_only or no_body_status:
            return keep_alive
        if gen is None:
            if body:
                self.send(body)
        elif mode == "chunked":
            for piece in gen:
                if piece:
                    self.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.send(b"0\r\n\r\n")
        else:
            for piece in gen:
                self.send(piece)
        return keep_alive

    def json_response(self, status, obj, keep_alive, head_only, extra=()):
        body = json.dumps(obj).encode()
        return self.respond(status, [("Content-Type", "application/json")] + list(extra), body,
                            keep_alive, head_only)

    # ------------------------------------------------------------------ serving
    def serve(self):
        try:
            while True:
                try:
                    head = self.read_head()
                except PeerGone:
                    return
                if not self.handle_one(head):
                    return
        except BadRequest as e:
            with STATS.lock:
                STATS.bad_requests += 1
            sys.stderr.write("upstream: 400 %s\n" % e)
            try:
                self.respond(400, [("Content-Type", "text/plain")], str(e).encode(), keep_alive=False)
            except PeerGone:
                pass
        except PeerGone:
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def handle_one(self, head):
        method, target, version, headers = self.parse_head(head)
        framing = self.framing(headers)
        hmap = {}
        for n, v in headers:
            hmap.setdefault(n.lower(), []).append(v)
        if version == "HTTP/1.1" and len(hmap.get("host", [])) != 1:
            raise BadRequest("HTTP/1.1 request needs exactly one Host")
        conn_tokens = {t.strip().lower() for v in hmap.get("connection", []) for t in v.split(",")}
        keep_alive = ("close" not in conn_tokens) if version == "HTTP/1.1" else ("keep-alive" in conn_tokens)
        url = urlsplit(target)
        path = url.path
        query = parse_qs(url.query)
        counted = path != "/stats"
        head_only = method == "HEAD"
        if counted:
            with STATS.lock:
                STATS.active += 1
                if not self.counted:
                    self.counted = True
                    STATS.connections += 1
            self.pending = (method, target)
        try:
            expects = any(v.strip().lower() == "100-continue" for v in hmap.get("expect", []))
            has_body = framing[0] == "chunked" or framing[1] > 0

            def q(name, default):
                try:
                    return int(query.get(name, [default])[0])
                except ValueError:
                    return default

            if path == "/upload":
                delay = q("delay_ms", 0)
                if delay:
                    time.sleep(delay / 1000.0)
            if expects and has_body:
                self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

            h = hashlib.sha256()
            length = 0
            mismatch = -1
            for piece in self.body_chunks(framing):
                h.update(piece)
                if path == "/upload" and mismatch < 0 and piece != pattern(length, len(piece)):
                    exp = pattern(length, len(piece))
                    mismatch = length + next(i for i in range(len(piece)) if piece[i] != exp[i])
                length += len(piece)
            self.served += 1

            upgrade = [v.lower() for v in hmap.get("upgrade", [])]
            if path == "/ws" and "upgrade" in conn_tokens and upgrade == ["websocket"] and hmap.get("sec-websocket-key"):
                self.websocket(hmap["sec-websocket-key"][0])
                return False
            if path == "/tunnel" and "upgrade" in conn_tokens and upgrade == ["echo"]:
                self.raw_echo()
                return False
            if path == "/healthz":
                keep_alive = self.json_response(HEALTH["status"], {"status": HEALTH["status"]}, keep_alive, head_only)
            elif path == "/healthz/set":
                HEALTH["status"] = q("status", 200)
                keep_alive = self.json_response(200, HEALTH, keep_alive, head_only)
            elif path == "/echo":
                obj = {"server": self.server_name, "method": method, "target": target,
                       "version": version, "headers": [[n, v] for n, v in headers],
                       "body_length": length, "body_sha256": h.hexdigest(),
                       "conn_id": self.conn_id, "conn_requests": self.served,
                       "peer": "%s:%d" % (self.peer[0], self.peer[1])}
                if hasattr(self.sock, "session_reused"):
                    obj["tls_session_reused"] = self.sock.session_reused
                keep_alive = self.json_response(200, obj, keep_alive, head_only)
            elif path == "/upload":
                obj = {"server": self.server_name, "length": length, "sha256": h.hexdigest(),
                       "pattern_ok": mismatch < 0, "first_mismatch": mismatch}
                keep_alive = self.json_response(200, obj, keep_alive, head_only)
            elif path in ("/bytes", "/chunked", "/close"):
                n = q("n", 0)
                step = max(1, q("chunk", 16384))
                mode = {"/bytes": "length", "/chunked": "chunked", "/close": "close"}[path]
                if mode == "chunked" and version == "HTTP/1.0":
                    mode = "close"

                def gen(n=n, step=step):
                    off = 0
                    while off < n:
                        k = min(step, n - off)
                        yield pattern(off, k)
                        off += k
                keep_alive = self.respond(200, [("Content-Type", "application/octet-stream")],
                                          ("stream", n, gen(), mode), keep_alive, head_only)
            elif path == "/slow":
                ms = q("ms", 1000)
                time.sleep(ms / 1000.0)
                keep_alive = self.json_response(200, {"slept_ms": ms, "server": self.server_name},
                                                keep_alive, head_only)
            elif path.startswith("/status/"):
                try:
                    code = int(path[len("/status/"):])
                except ValueError:
                    code = 400
                extra = [tuple(part.strip() for part in item.partition(":")[::2]) for item in query.get("set", [])]
                if code < 200 or code in (204, 304):
                    keep_alive = self.respond(code, extra, b"", keep_alive, head_only)
                elif "body" in query:
                    keep_alive = self.respond(code, extra + [("Content-Type", "text/plain")],
                                              query["body"][0].encode(), keep_alive, head_only)
                else:
                    keep_alive = self.json_response(code, {"status": code, "server": self.server_name},
                                                    keep_alive, head_only, extra)
            elif path == "/headers":
                extra = []
                for item in query.get("set", []):
                    name, _, value = item.partition(":")
                    extra.append((name.strip(), value.strip()))
                keep_alive = self.json_response(200, {"set": extra, "server": self.server_name},
                                                keep_alive, head_only, extra)
            elif path == "/stats":
                keep_alive = self.json_response(200, STATS.snapshot(), keep_alive, head_only)
            else:
                keep_alive = self.json_response(404, {"error": "no such endpoint", "path": path,
                                                      "server": self.server_name},
                                                keep_alive, head_only)
            return keep_alive
        except PeerGone:
            if self.pending is not None:   # gone before its response started
                with STATS.lock:
                    STATS.aborted += 1
            raise
        finally:
            if self.pending is not None:   # never answered: not served
                self.pending = None
                with STATS.lock:
                    STATS.active -= 1


def ws_frame(opcode, payload):
    """A final, unmasked (server) frame."""
    n = len(payload)
    if n < 126:
        head = struct.pack(">BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
    return head + payload


def make_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--name", default="upstream")
    ap.add_argument("--parent-pid", type=int, default=0,
                    help="exit when this process is gone (no orphans if the test runner dies)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--tls-sni", nargs=3, action="append", default=[], metavar=("NAME", "CERT", "KEY"))
    ap.add_argument("--health-status", type=int, default=200)
    args = ap.parse_args()
    HEALTH["status"] = args.health_status

    tls_ctx = None
    if args.tls:
        tls_ctx = make_context(*args.tls)
        by_name = {name: make_context(c, k) for name, c, k in args.tls_sni}

        def pick(sslobj, name, _ctx):
            if name in by_name:
                sslobj.context = by_name[name]
        tls_ctx.sni_callback = pick

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.host, args.port))
    ls.listen(1024)
    port = ls.getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stderr.write("upstream %s listening on %s:%d\n" % (args.name, args.host, port))
    sys.stderr.flush()

    if args.parent_pid:
        def watch():
            while True:
                time.sleep(1)
                try:
                    os.kill(args.parent_pid, 0)
                except ProcessLookupError:
                    os._exit(0)
                except PermissionError:
                    pass
        threading.Thread(target=watch, daemon=True).start()

    def run(sock, peer, conn_id):
        sock.settimeout(300)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls_ctx is not None:
            try:
                sock = tls_ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write("upstream: TLS handshake failed: %s\n" % e)
                sock.close()
                return
        Connection(sock, peer, args.name, conn_id).serve()

    while True:
        sock, peer = ls.accept()
        with STATS.lock:
            STATS.accepted += 1
            STATS.next_conn_id += 1
            conn_id = STATS.next_conn_id
        threading.Thread(target=run, args=(sock, peer, conn_id), daemon=True).start()


if __name__ == "__main__":
    main()

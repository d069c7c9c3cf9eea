#!/usr/bin/env python3
"""WebSocket test client (Python 3 standard library only) for the gateway integration tests.

wsclient.py --port P [--path /ws] [--tls CAFILE SERVERNAME]
Connects to 127.0.0.1:P (over TLS when asked, verifying the certificate for SERVERNAME), does
the RFC 6455 opening handshake, checks Sec-WebSocket-Accept, sends masked frames (text, a
70000-byte binary frame, a ping, then close) and checks that each comes back. Prints one JSON
object: status, accept_ok, echoes (one bool per frame sent), close_echoed, error.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, n)
        self.sock.sendall(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))

    def read_frame(self):
        b1, b2 = self.read_exact(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.read_exact(8))[0]
        if b2 & 0x80:
            raise ValueError("server frames must not be masked")
        return b1 & 0x0F, self.read_exact(n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/ws")
    ap.add_argument("--tls", nargs=2, metavar=("CAFILE", "SERVERNAME"))
    args = ap.parse_args()
    result = {"status": 0, "accept_ok": False, "echoes": [], "close_echoed": False, "error": None}
    try:
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=20)
        host = "gateway.test"
        if args.tls:
            ctx = ssl.create_default_context(cafile=args.tls[0])
            sock = ctx.wrap_socket(sock, server_hostname=args.tls[1])
            host = args.tls[1]
        client = Client(sock)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (args.path, host, key)).encode())
        status, headers = client.read_head()
        result["status"] = status
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        result["accept_ok"] = headers.get("sec-websocket-accept") == expected
        result["upgrade"] = headers.get("upgrade")
        if status == 101:
            for opcode, payload in [(0x1, "héllo through the gateway".encode()), (0x2, bytes(i % 251 for i in range(70000))),
                                    (0x9, b"ping")]:
                client.send_frame(opcode, payload)
                result["echoes"].append(client.read_frame() == (opcode, payload))
            client.send_frame(0x8, struct.pack(">H", 1000))
            result["close_echoed"] = client.read_frame() == (0x8, struct.pack(">H", 1000))
    except Exception as e:  # reported to the test, which prints it
        result["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

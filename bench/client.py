#!/usr/bin/env python3
"""The timing client of bench/fromstart.py: HTTP/1.1 over a raw socket to 127.0.0.1, the request's
bytes built once, so what a figure holds beyond the server is a connect, a send and the reads of
one answer (no http.client or urllib objects per request, whose own cost is ~0.1 ms).

Run as a script (`client.py --floor PORT`), it is the client floor: a canned 200 from a
single-threaded raw-socket server in its own process, the least a server can do. Timing it with
the same client gives what the client, the loopback and the kernel's wake-ups cost by themselves;
a figure near it is as fast as this client can tell."""

import socket
import sys
import time

HOST = "127.0.0.1"  # only ever loopback
CANNED = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
          b'{"ok":true}')


def request(method, path, body=b"", headers=None):
    """The bytes of one request. HTTP/1.1 keeps the connection open unless a side closes it."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(sock, buffer=b""):
    """Reads one answer from sock: (status, bytes read past it). Knows Content-Length, chunked
    bodies (to their last chunk) and bodies that end with the connection."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before an answer")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        fields[key.strip().lower()] = value.strip().lower()
    if status in (204, 304) or 100 <= status < 200:
        return status, rest
    if b"content-length" in fields:
        size = int(fields[b"content-length"])
        while len(rest) < size:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside the body")
            rest += chunk
        return status, rest[size:]
    if fields.get(b"transfer-encoding") == b"chunked":
        while b"\r\n0\r\n\r\n" not in b"\r\n" + rest:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside a chunked body")
            rest += chunk
        return status, b""
    while sock.recv(65536):
        pass
    return status, b""


def connect(port, timeout=60):
    # Not socket.create_connection: it resolves the address first, a cost of its own each time.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def fresh(port, data, timeout=60):
    """One request on a new connection, as the Hub sends a delivery: (ms, status), from before the
    connect to the end of the answer. Raises OSError when nothing answered (refused, reset)."""
    started = time.perf_counter()
    sock = connect(port, timeout)
    try:
        sock.sendall(data)
        status, _ = read_response(sock)
        return (time.perf_counter() - started) * 1000, status
    finally:
        sock.close()


def attempt(port, data):
    """fresh(), with (None, 0) for a delivery nothing answered."""
    try:
        return fresh(port, data)
    except OSError:
        return None, 0


def accepts(port):
    """True once something listens on port (the connection is closed at once)."""
    try:
        connect(port, timeout=1).close()
        return True
    except OSError:
        return False


class KeptAlive:
    """One connection for many requests: each timed from the send to the end of its answer."""

    def __init__(self, port):
        self.sock = connect(port)
        self.left = b""

    def timed(self, data):
        started = time.perf_counter()
        self.sock.sendall(data)
        status, self.left = read_response(self.sock, self.left)
        return (time.perf_counter() - started) * 1000, status

    def close(self):
        self.sock.close()


def serve_floor(port):
    """The client floor's server: one connection at a time (the client sends one request at a
    time), each request read to the end of its body and answered with CANNED."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(64)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        raise ConnectionError
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                size = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        size = int(value)
                while len(buffer) < size:
                    chunk = conn.recv(65536)
                    if not chunk:
                        raise ConnectionError
                    buffer += chunk
                buffer = buffer[size:]
                conn.sendall(CANNED)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--floor":
        sys.exit("usage: client.py --floor PORT")
    serve_floor(int(sys.argv[2]))

"""Parallel slots for llama.cpp: one OpenAI-compatible address in front of N llama-cpp-python workers.

    python -m dsfix.agent.backend.proxy --host H --port P --upstream http://127.0.0.1:P1 [--upstream ...]

llama-cpp-python's server answers one request at a time. `--parallel N` starts N workers on the same
GGUF - its weights are memory-mapped, so the page cache holds them once and each worker adds only its
KV cache - and this proxy sends each request to the worker with the fewest requests in flight,
streaming the answer back as it comes (server-sent events included).
"""
from __future__ import annotations

import argparse
import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
       "proxy-authenticate", "content-length", "host"}


class Pool:
    def __init__(self, upstreams: list[str]):
        self.upstreams = [urlsplit(u) for u in upstreams]
        self.busy = [0] * len(upstreams)
        self.lock = threading.Lock()

    def acquire(self) -> int:
        with self.lock:
            i = min(range(len(self.busy)), key=lambda k: self.busy[k])
            self.busy[i] += 1
            return i

    def release(self, i: int) -> None:
        with self.lock:
            self.busy[i] -= 1


def make_handler(pool: Pool):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write(f"proxy {self.address_string()} {fmt % args}\n")

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            i = pool.acquire()
            up = pool.upstreams[i]
            try:
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=3600)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
            except OSError as e:
                pool.release(i)
                msg = f'{{"error": {{"message": "llama.cpp worker {i} unreachable: {type(e).__name__}"}}}}'.encode()
                self.send_response(502)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            try:
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Connection", "close")   # the body ends when the connection does
                self.end_headers()
                self.close_connection = True
                while True:
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass  # the client went away, or the worker died mid-answer: the client sees a cut stream
            finally:
                conn.close()
                pool.release(i)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

    return Handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", action="append", required=True)
    a = ap.parse_args(argv)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(Pool(a.upstream)))
    server.daemon_threads = True
    sys.stderr.write(f"dsfix proxy on http://{a.host}:{a.port} -> {', '.join(a.upstream)}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

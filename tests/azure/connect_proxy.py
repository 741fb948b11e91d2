#!/usr/bin/env python3
"""A loopback HTTPS CONNECT proxy that sends `*.blob.core.windows.net:443` to a local Azurite.

    python3 tests/azure/connect_proxy.py --target-port AZURITE_TLS_PORT --port 0   # "ready PORT"

Terraform's azurerm backend has no endpoint setting: it always addresses
https://ACCOUNT.blob.core.windows.net. Both Terraform and gantry honour HTTPS_PROXY and
SSL_CERT_FILE, so tests point HTTPS_PROXY here and SSL_CERT_FILE at a test CA whose
certificate for *.blob.core.windows.net Azurite serves. The tunnel is opaque (TLS runs end to
end between the client and Azurite); any other destination is refused, so nothing leaves
127.0.0.1.
"""

import argparse
import socket
import threading


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, target_port):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        host = parts[1].rsplit(":", 1)[0].lower() if len(parts) > 1 else ""
        if parts[0] != "CONNECT" or not host.endswith(".blob.core.windows.net"):
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", target_port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            upstream.sendall(rest)
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)
    except OSError:
        client.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--target-port", type=int, required=True)
    a = p.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(64)
    print(f"ready {srv.getsockname()[1]}", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c, a.target_port), daemon=True).start()


if __name__ == "__main__":
    main()

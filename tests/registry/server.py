"""A registry on 127.0.0.1 speaking Terraform's module registry protocol over HTTPS
(service discovery, versions, download with X-Terraform-Get, tar.gz archives), for tests, and
its provider registry and network mirror protocols (see providers.py).

usage: server.py DIR -- makes a test CA (DIR/ca.pem, for SSL_CERT_FILE) and a certificate for
127.0.0.1 signed by it, writes the chosen port to DIR/port, serves until killed.
Module acme/net/aws exists in versions 1.0.0, 1.2.0 and 2.0.0; each archive holds a module
whose output "version" is its version.
"""
import http.server
import io
import json
import ssl
import sys
import tarfile
import threading

import providers

VERSIONS = ["1.0.0", "1.2.0", "2.0.0"]


def archive(version):
    files = {
        "main.tf": 'variable "name" {\n  type = string\n}\n\nresource "terraform_data" "vpc" {\n  input = var.name\n}\n\nmodule "subnets" {\n  source = "./modules/subnets"\n  vpc    = terraform_data.vpc.output\n}\n\noutput "version" {\n  value = "%s"\n}\n\noutput "subnets" {\n  value = module.subnets.ids\n}\n' % version,
        "modules/subnets/main.tf": 'variable "vpc" {\n  type = string\n}\n\noutput "ids" {\n  value = ["${var.vpc}-a", "${var.vpc}-b"]\n}\n',
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


_PACKAGES = None
_LOCK = threading.Lock()


def packages():
    """Provider packages, made (with their signing keys) on the first provider request."""
    global _PACKAGES
    with _LOCK:
        if _PACKAGES is None:
            _PACKAGES = providers.Packages(sys.argv[1])
        return _PACKAGES


class Handler(http.server.BaseHTTPRequestHandler):
    def send(self, code, body=b"", headers=None, ctype="application/json"):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/.well-known/terraform.json":
            services = {"modules.v1": "/v1/modules/", "providers.v1": "/v1/providers/"}
            return self.send(200, json.dumps(services).encode())
        if p.startswith("/v1/providers/") or p.startswith("/files/") or p.startswith("/mirror/"):
            got = packages().route(p)
            if got is not None:
                code, body, ctype = got
                return self.send(code, body, ctype=ctype)
        if p == "/v1/modules/acme/net/aws/versions":
            body = {"modules": [{"versions": [{"version": v} for v in VERSIONS]}]}
            return self.send(200, json.dumps(body).encode())
        for v in VERSIONS:
            if p == "/v1/modules/acme/net/aws/%s/download" % v:
                return self.send(204, headers={"X-Terraform-Get": "/archives/net-%s.tar.gz" % v})
            if p == "/archives/net-%s.tar.gz" % v:
                return self.send(200, archive(v), ctype="application/gzip")
        self.send(404, b'{"errors":["not found"]}')

    def log_message(self, *args):
        pass


def make_certs(d):
    import subprocess

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem",
        "-days", "2", "-subj", "/CN=gantry test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/key.pem", "-out", d + "/leaf.csr",
        "-subj", "/CN=127.0.0.1")
    with open(d + "/ext.cnf", "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", d + "/leaf.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
        "-CAcreateserial", "-out", d + "/cert.pem", "-days", "2", "-extfile", d + "/ext.cnf")
    return d + "/cert.pem", d + "/key.pem"


def main():
    d = sys.argv[1]
    cert, key = make_certs(d)
    portfile = d + "/port"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()

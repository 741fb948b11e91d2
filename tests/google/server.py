#!/usr/bin/env python3
"""A local Google Cloud control plane for gantry's tests, built from Google's discovery documents.

    python3 tests/google/server.py --port 0      # prints "ready PORT", serves until killed

Each API is served under a prefix of its own, so one server stands in for many hosts:

    http://127.0.0.1:PORT/aiplatform/v1/...     (vertex_ai_custom_endpoint = ".../aiplatform/v1/")
    http://127.0.0.1:PORT/tpu/v2/...            (tpu_v2_custom_endpoint   = ".../tpu/v2/")
    http://127.0.0.1:PORT/compute/compute/v1/... (compute_custom_endpoint = ".../compute/compute/v1/")

Requests are routed by the documents' path templates and their bodies checked against the
request schemas (discovery.py). Resources live in memory keyed by their resource path;
long-running operations finish on a virtual clock that each operation poll advances
(`auto_advance` seconds, default 30) and tests can move (`/_control/advance`). Faults are
injected per method id: an HTTP error (429, 503, 403 quota) or an operation that ends in
an error (a stockout). `/_control/stats` counts calls per method id, for refresh-count tests.
"""

import argparse
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import discovery
import behaviours

APIS = {
    "aiplatform": "aiplatform.v1.json",
    "tpu": "tpu.v2.json",
    "compute": "compute.v1.json",
    "container": "container.v1.json",
    "iam": "iam.v1.json",
    "serviceusage": "serviceusage.v1.json",
    "cloudresourcemanager": "cloudresourcemanager.v1.json",
    "bigquery": "bigquery.v2.json",
}


from model import ApiError, State  # noqa: E402
from tokens import Tokens  # noqa: E402


STATE = State()
TOKENS = Tokens()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if SERVER_ARGS.verbose:
            sys.stderr.write("google-server: " + fmt % args + "\n")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def send_json(self, code, obj, headers=()):
        data = b"" if code == 204 else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, verb):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urllib.parse.unquote(url.path).lstrip("/")
        with STATE.lock:
            if path == "oauth2/token":
                return self.send_json(*TOKENS.oauth(raw))
            if path.startswith("computeMetadata/v1/instance/service-accounts/default/token"):
                return self.send_json(*TOKENS.metadata(self.headers))
            if not path.startswith("_control/"):
                denied = TOKENS.check(self.headers.get("Authorization"))
                if denied:
                    return self.send_json(401, ApiError(401, denied, status="UNAUTHENTICATED").body())
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return self.send_json(400, ApiError(400, "Invalid JSON payload received.").body())
        if path.startswith("_control/"):
            return self.control(path[len("_control/"):], query, body)
        prefix, _, rest = path.partition("/")
        api = SERVER_APIS.get(prefix)
        if api is None:
            return self.send_json(404, ApiError(404, f"no API served under /{prefix}/").body())
        method, params = api.route(verb, rest)
        if method is None:
            return self.send_json(404, ApiError(404, f"The requested URL /{rest} was not found.").body())
        with STATE.lock:
            # Operations run on their own: any that is due finishes, polled or not (an
            # operation whose caller died still completes, as in Google).
            for op in list(STATE.operations.values()):
                if not op.done and STATE.clock >= op.done_at:
                    op.poll(STATE)
            mid = method["id"]
            STATE.stats[mid] = STATE.stats.get(mid, 0) + 1
            injected = STATE.take_fault(mid, "http")
            try:
                if injected is not None:
                    raise ApiError(injected["code"], injected.get("message", "injected"),
                                   status=injected.get("status"), details=injected.get("details"))
                self.check_params(method, query)
                if "request" in method:
                    if body is None:
                        body = {}
                    mask_only = method["httpMethod"] == "PATCH" or mid.endswith(".update")
                    discovery.check(api, method["request"], body, "", mid,
                                    check_required=not mask_only)
                ctx = behaviours.Context(STATE, api, method, rest, query, body, self.base_url(prefix))
                code, out = behaviours.dispatch(ctx)
            except discovery.Invalid as e:
                err = ApiError(400, str(e), details=[{
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": e.field, "description": str(e)}]}])
                return self.send_json(400, err.body())
            except ApiError as e:
                headers = [("Retry-After", "1")] if e.code in (429, 503) else []
                return self.send_json(e.code, e.body(), headers)
        return self.send_json(code, out)

    def check_params(self, method, query):
        # The method's parameters, the API's standard ones, and returnPartialSuccess, which
        # newer clients (gcloud 528) send to list calls the bundled documents predate.
        known = set(method.get("parameters", {})) | {"alt", "prettyPrint", "fields", "key", "$alt",
                                                      "quotaUser", "requestId", "access_token",
                                                      "returnPartialSuccess"}
        for k in query:
            if k not in known:
                raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query parameter.")
        for k, p in method.get("parameters", {}).items():
            if p.get("location") == "query" and "enum" in p and k in query and query[k] not in p["enum"]:
                raise ApiError(400, f"Invalid value for {k}: {query[k]}")

    def base_url(self, prefix):
        host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
        return f"http://{host}/{prefix}/"

    def control(self, what, query, body):
        with STATE.lock:
            if what == "advance":
                STATE.clock += float(query.get("seconds", (body or {}).get("seconds", 60)))
                return self.send_json(200, {"clock": STATE.clock})
            if what == "config":
                body = body or {}
                if "auto_advance" in body:
                    STATE.auto_advance = float(body["auto_advance"])
                STATE.durations.update(body.get("durations", {}))
                return self.send_json(200, {"clock": STATE.clock, "auto_advance": STATE.auto_advance})
            if what == "auth":
                TOKENS.configure(body or {})
                return self.send_json(200, {"log": TOKENS.log})
            if what == "fault":
                STATE.faults.append(body)
                return self.send_json(200, {"faults": len(STATE.faults)})
            if what == "stats":
                return self.send_json(200, STATE.stats)
            if what == "reset-stats":
                STATE.stats = {}
                return self.send_json(200, {})
            if what == "objects":
                out = {f"{a}:{k}": v for (a, k), v in STATE.objects.items()}
                return self.send_json(200, out)
            if what == "mutate":
                # Out-of-band change (drift): {"api", "key", "set": {field: value}}.
                obj = STATE.objects.get((body["api"], body["key"]))
                if obj is None:
                    return self.send_json(404, ApiError(404, "no such object").body())
                obj.update(body.get("set", {}))
                for k in body.get("remove", []):
                    obj.pop(k, None)
                return self.send_json(200, obj)
            if what == "seed":
                STATE.objects[(body["api"], body["key"])] = body["object"]
                return self.send_json(200, body["object"])
        return self.send_json(404, ApiError(404, f"no control {what}").body())


SERVER_APIS = {}
SERVER_ARGS = None


def main():
    global SERVER_ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--apis", default=",".join(APIS))
    p.add_argument("--verbose", action="store_true")
    SERVER_ARGS = p.parse_args()
    for prefix in SERVER_ARGS.apis.split(","):
        SERVER_APIS[prefix] = discovery.Api(prefix, APIS[prefix])
    server = ThreadingHTTPServer((SERVER_ARGS.host, SERVER_ARGS.port), Handler)
    server.daemon_threads = True
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

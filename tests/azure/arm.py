#!/usr/bin/env python3
"""A local Azure Resource Manager for gantry's tests, following the published REST contracts.

    python3 tests/azure/arm.py --port 0 [--azurite-blob URL]   # prints "ready PORT"

Serves resource groups, storage accounts (listKeys answers Azurite's key; primaryEndpoints
point at Azurite when given) and Azure Machine Learning (workspaces, computes, online
endpoints and deployments, api-version 2025-12-01). Request bodies are checked (schema.py):
unknown and read-only properties refused, required ones required, enums and types checked,
api-version required and checked per type. PUT answers 201 (create) or 200 (replace); long
operations answer with `Azure-AsyncOperation` (status in the body) or `Location` (202 while
running), with `Retry-After`, and move `provisioningState` on a virtual clock that each poll
advances (`/_control/advance` moves it too). Faults per operation kind: HTTP errors (429 with
Retry-After, 409, quota) or an operation that ends Failed. `/_control/stats` counts calls.
`/metadata/endpoints` answers as Azure's metadata host does (azurerm's `metadata_host`).
"""

import argparse
import copy
import json
import re
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import schema
import types_table
from schema import ArmError, Invalid


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.objects = {}  # lower-case id -> resource JSON
        self.ops = {}  # op id -> Op
        self.clock = 0.0
        self.auto_advance = 30.0
        self.durations = {}  # "PUT microsoft.machinelearningservices/workspaces/onlineendpoints" -> s
        self.faults = []
        self.stats = {}
        self.azurite_blob = None
        self.require_token = None  # when set, every ARM call must carry "Bearer <token>"


class Op:
    def __init__(self, op_id, done_at, finish, location):
        self.id, self.done_at, self.finish, self.location = op_id, done_at, finish, location
        self.status = "InProgress"
        self.error = None
        self.result_status = 200

    def poll(self, state):
        if self.status == "InProgress" and state.clock >= self.done_at:
            try:
                self.finish(self)
                if self.status == "InProgress":
                    self.status = "Succeeded"
            except ArmError as e:
                self.status = "Failed"
                self.error = e
        return self


STATE = State()
BASE = ""

ID_RE = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)(?:/providers/([^/]+)((?:/[^/]+/[^/]+)*)(?:/([^/]+))?)?$",
                   re.IGNORECASE)


def parse(path):
    """(subscription, group, type key, resource id, collection?, action?) of an ARM path."""
    m = ID_RE.match(path)
    if not m:
        return None
    sub, rg, ns, pairs, tail = m.groups()
    if ns is None:
        return {"sub": sub, "rg": rg, "type": "microsoft.resources/resourcegroups",
                "id": f"/subscriptions/{sub}/resourceGroups/{rg}", "collection": False, "action": None}
    segs = [s for s in (pairs or "").split("/") if s]
    types = segs[0::2]
    names = segs[1::2]
    collection = False
    action = None
    if tail is not None:
        # An odd tail: a collection (type without a name) or an action on the resource.
        if types_table.TYPES.get("/".join([ns.lower()] + [t.lower() for t in types + [tail]])):
            types.append(tail)
            collection = True
        else:
            action = tail
    type_key = "/".join([ns.lower()] + [t.lower() for t in types])
    rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}" + "".join(
        f"/{t}/{n}" for t, n in zip(types, names))
    if collection:
        rid += f"/{types[-1]}"
    return {"sub": sub, "rg": rg, "type": type_key, "id": rid, "collection": collection,
            "action": action, "names": names}


def key(rid):
    return rid.lower()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def send(self, status, body=None, headers=()):
        data = b"" if body is None or status == 204 else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self, verb):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return self.send(400, ArmError(400, "InvalidRequestContent", "The request content is not valid JSON.").body())
        path = urllib.parse.unquote(url.path).rstrip("/")
        with STATE.lock:
            # Operations run on their own: any that is due finishes, polled or not.
            for op in list(STATE.ops.values()):
                op.poll(STATE)
            try:
                if path.startswith("/_control/"):
                    return self.send(200, control(path[len("/_control/"):], body or {}))
                if path == "/metadata/endpoints":
                    return self.send(200, metadata())
                if STATE.require_token and self.headers.get("Authorization") != f"Bearer {STATE.require_token}":
                    raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
                if "/operationstatuses/" in path.lower() or "/operationresults/" in path.lower():
                    return self.operation(path, query)
                status, out, headers = route(verb, path, query, body)
                return self.send(status, out, headers)
            except Invalid as e:
                err = ArmError(400, e.code, e.message, e.target)
                return self.send(400, err.body())
            except ArmError as e:
                return self.send(e.status, e.body(), e.headers)

    def operation(self, path, query):
        op_id = path.rstrip("/").rsplit("/", 1)[-1]
        op = STATE.ops.get(op_id)
        if op is None:
            raise ArmError(404, "NotFound", f"Operation {op_id} not found.")
        STATE.clock += STATE.auto_advance
        op.poll(STATE)
        if "/operationstatuses/" in path.lower():
            out = {"id": path, "name": op_id, "status": op.status}
            if op.error is not None:
                out["error"] = {"code": op.error.code, "message": op.error.message}
            headers = [("Retry-After", "1")] if op.status == "InProgress" else []
            return self.send(200, out, headers)
        # Location: 202 while running, then the result.
        if op.status == "InProgress":
            return self.send(202, None, [("Location", op.location), ("Retry-After", "1")])
        if op.status == "Failed":
            return self.send(op.error.status if op.error.status >= 400 else 500, op.error.body())
        return self.send(op.result_status if op.result_status != 200 else 200, op.__dict__.get("result"))


def metadata():
    return {"name": "gantry-test", "resourceManager": BASE + "/",
            "authentication": {"loginEndpoint": BASE + "/login/", "audiences": [BASE + "/"],
                               "tenant": "common", "identityProvider": "AAD"},
            "suffixes": {"storage": "core.windows.net", "keyVaultDns": "vault.azure.net"},
            "activeDirectoryDataLake": "", "gallery": "", "graph": "", "portal": ""}


def control(what, body):
    if what == "advance":
        STATE.clock += float(body.get("seconds", 60))
        return {"clock": STATE.clock}
    if what == "config":
        STATE.auto_advance = float(body.get("auto_advance", STATE.auto_advance))
        STATE.durations.update(body.get("durations", {}))
        return {"clock": STATE.clock}
    if what == "auth":
        STATE.require_token = body.get("require_token")
        return {}
    if what == "fault":
        STATE.faults.append(body)
        return {"faults": len(STATE.faults)}
    if what == "stats":
        return STATE.stats
    if what == "reset-stats":
        STATE.stats = {}
        return {}
    if what == "objects":
        return STATE.objects
    if what == "mutate":
        obj = STATE.objects.get(key(body["id"]))
        if obj is None:
            raise ArmError(404, "ResourceNotFound", "no such object")
        merge(obj, body.get("set", {}))
        return obj
    raise ArmError(404, "NotFound", f"no control {what}")


def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict) and k != "tags":
            merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


def take_fault(kind, when):
    for f in STATE.faults:
        if f.get("match") == kind and when in f and f.get("times", 1) > 0:
            f["times"] = f.get("times", 1) - 1
            return f[when]
    return None


def start_op(ctx, resource_id, finish, style):
    t = ctx["t"]
    op_id = str(uuid.uuid4())
    loc = (STATE.objects.get(key(resource_id)) or {}).get("location") or "eastus"
    ns = t.split("/")[0]
    status_url = f"{BASE}/subscriptions/{ctx['p']['sub']}/providers/{ns}/locations/{loc}/operationStatuses/{op_id}?api-version={ctx['api']}"
    result_url = f"{BASE}/subscriptions/{ctx['p']['sub']}/providers/{ns}/locations/{loc}/operationResults/{op_id}?api-version={ctx['api']}"
    duration = float(STATE.durations.get(f"{ctx['verb']} {t}", 60))
    op = Op(op_id, STATE.clock + duration, finish, result_url)
    injected = take_fault(f"{ctx['verb']} {t}", "op_error")

    if injected is not None:
        def failing(o):
            raise ArmError(injected.get("status", 400), injected.get("code", "Failed"), injected.get("message", ""))
        op.finish = failing
    STATE.ops[op_id] = op
    headers = [("Retry-After", "1")]
    if style in ("async", "both"):
        headers.append(("Azure-AsyncOperation", status_url))
    if style in ("location", "both"):
        headers.append(("Location", result_url))
    return headers


SUB_LIST_RE = re.compile(r"^/subscriptions/([^/]+)/providers/([^/]+)/([^/]+)$", re.IGNORECASE)


# Resource SKUs (Microsoft.Compute/skus, api-version 2021-07-01): where each VM size is
# offered and the subscription's restrictions, as the published spec shapes them. GPU sizes
# are zonal and often restricted; the table is the test server's view of "eastus".
SKUS_RE = re.compile(r"^/subscriptions/([^/]+)/providers/Microsoft\.Compute/skus$", re.IGNORECASE)
VM_SKUS = {
    # size: (zones offered in eastus, zones restricted for this subscription, location restricted)
    "Standard_D4s_v3": (["1", "2", "3"], [], False),
    "Standard_DS3_v2": (["1", "2", "3"], [], False),
    "Standard_NC4as_T4_v3": (["1", "2", "3"], [], False),
    "Standard_NC24ads_A100_v4": (["1", "2", "3"], ["1"], False),
    "Standard_NC40ads_H100_v5": (["2", "3"], [], False),
    "Standard_ND96isr_H100_v5": (["1", "2", "3"], [], True),
}


def resource_skus(query):
    if query.get("api-version") != "2021-07-01":
        raise ArmError(400, "InvalidApiVersionParameter", "The api-version for Microsoft.Compute/skus must be 2021-07-01.")
    flt = query.get("$filter", "")
    m = re.match(r"^location eq '([^']+)'$", flt.strip())
    location = m.group(1).lower() if m else "eastus"
    out = []
    for size, (zones, blocked, location_blocked) in sorted(VM_SKUS.items()):
        restrictions = []
        if blocked:
            restrictions.append({"type": "Zone", "values": [location], "reasonCode": "NotAvailableForSubscription",
                                 "restrictionInfo": {"locations": [location], "zones": blocked}})
        if location_blocked:
            restrictions.append({"type": "Location", "values": [location], "reasonCode": "NotAvailableForSubscription",
                                 "restrictionInfo": {"locations": [location]}})
        out.append({"resourceType": "virtualMachines", "name": size, "tier": "Standard", "size": size.split("_", 1)[1],
                    "locations": [location], "locationInfo": [{"location": location, "zones": zones}],
                    "restrictions": restrictions})
    return 200, {"value": out}, []


def route(verb, path, query, body):
    if SKUS_RE.match(path) and verb == "GET":
        return resource_skus(query)
    m = SUB_LIST_RE.match(path)
    if m and verb == "GET":
        # A subscription-wide list of one type (how azurerm finds a storage account by name).
        t = f"{m.group(2).lower()}/{m.group(3).lower()}"
        spec = types_table.TYPES.get(t)
        if spec is None:
            raise ArmError(404, "NoRegisteredProviderFound", f"No registered resource provider found for type '{t}'.")
        STATE.stats[f"GET {t} subscription list"] = STATE.stats.get(f"GET {t} subscription list", 0) + 1
        items = [view(spec, o) for k, o in sorted(STATE.objects.items())
                 if f"/providers/{t}/" in k and k.count("/") == 8]
        return 200, {"value": items}, []
    p = parse(path)
    if p is None:
        raise ArmError(404, "NotFound", f"No route for {path}.")
    t = p["type"]
    spec = types_table.TYPES.get(t)
    if spec is None:
        raise ArmError(404, "NoRegisteredProviderFound", f"No registered resource provider found for type '{t}'.")
    stat = f"{verb} {t}" + (f"/{p['action']}" if p["action"] else "") + (" list" if p["collection"] else "")
    STATE.stats[stat] = STATE.stats.get(stat, 0) + 1
    api = query.get("api-version")
    if not api:
        raise ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
    if api not in spec["api_versions"]:
        raise ArmError(400, "NoRegisteredProviderFound",
                       f"No registered resource provider found for location and API version '{api}' and type "
                       f"'{t}'. The supported api-versions are '{', '.join(spec['api_versions'])}'.")
    injected = take_fault(f"{verb} {t}" + (f"/{p['action']}" if p["action"] else ""), "http")
    if injected is not None:
        hdrs = [("Retry-After", str(injected.get("retry_after", 1)))] if injected.get("status") == 429 else []
        raise ArmError(injected.get("status", 500), injected.get("code", "InternalServerError"),
                       injected.get("message", "injected"), headers=hdrs)
    ctx = {"p": p, "t": t, "spec": spec, "api": api, "verb": verb, "query": query, "body": body,
           "state": STATE, "start_op": start_op}
    if p["collection"]:
        if verb != "GET":
            raise ArmError(405, "MethodNotAllowed", "Collections are listed with GET.")
        return list_collection(ctx)
    if p["action"]:
        act = spec.get("actions", {}).get(p["action"].lower())
        if act is None or verb != "POST":
            raise ArmError(404, "NotFound", f"No action {p['action']} on {t}.")
        return act(ctx, get_existing(p["id"]))
    if verb in ("GET", "HEAD"):
        obj = get_existing(p["id"])
        return (204 if verb == "HEAD" else 200), (None if verb == "HEAD" else view(spec, obj)), []
    if verb == "PUT":
        return put(ctx)
    if verb == "PATCH":
        return patch(ctx)
    if verb == "DELETE":
        return delete(ctx)
    raise ArmError(405, "MethodNotAllowed", verb)


def view(spec, obj):
    return spec["view"](obj) if "view" in spec else obj


def get_existing(rid):
    obj = STATE.objects.get(key(rid))
    if obj is None:
        group = "/".join(rid.split("/")[:5])
        if key(group) not in STATE.objects:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{group.rsplit('/', 1)[-1]}' could not be found.")
        raise ArmError(404, "ResourceNotFound", f"The Resource '{rid.split('/providers/')[-1]}' was not found.")
    return obj


def parent_id(rid):
    parts = rid.split("/")
    if "/providers/" not in rid:
        return None
    if len(parts) <= 9:  # /subscriptions/s/resourceGroups/rg/providers/ns/t/n
        return "/".join(parts[:5])
    return "/".join(parts[:-2])


def put(ctx):
    p, spec, body = ctx["p"], ctx["spec"], copy.deepcopy(ctx["body"] or {})
    parent = parent_id(p["id"])
    if parent is not None:
        get_existing(parent)
    existing = STATE.objects.get(key(p["id"]))
    spec["check"](body, existing is None)
    if "on_put" in spec:
        spec["on_put"](ctx, body, existing)
    obj = copy.deepcopy(body)
    obj.update({"id": p["id"], "name": p["id"].rsplit("/", 1)[-1], "type": spec["arm_type"]})
    if existing is not None:
        for k in ("systemData",):
            if k in existing:
                obj[k] = existing[k]
    props = obj.setdefault("properties", {}) if spec.get("has_properties", True) else None
    if "fill" in spec:
        spec["fill"](ctx, obj, existing)
    style = spec.get("lro")
    if not style:
        if props is not None and spec.get("provisioning", True):
            props["provisioningState"] = "Succeeded"
        STATE.objects[key(p["id"])] = obj
        return (200 if existing else 201), view(spec, obj), []
    props["provisioningState"] = "Updating" if existing else "Creating"
    if existing is not None and "keep_while_updating" in spec:
        spec["keep_while_updating"](existing, obj)
    STATE.objects[key(p["id"])] = obj

    def finish(op):
        if "ready" in spec:
            spec["ready"](ctx, obj)
        obj["properties"]["provisioningState"] = "Succeeded"
        op.result = view(spec, obj)

    headers = start_op(ctx, p["id"], finish, style)
    return (200 if existing else 201), view(spec, obj), headers


def patch(ctx):
    p, spec = ctx["p"], ctx["spec"]
    obj = get_existing(p["id"])
    body = copy.deepcopy(ctx["body"] or {})
    spec.get("check_patch", lambda b: spec["check"](b, False))(body)
    if "on_patch" in spec:
        spec["on_patch"](ctx, obj, body)
    style = spec.get("lro")
    if not style:
        merge(obj, body)
        return 200, view(spec, obj), []

    def finish(op):
        merge(obj, body)
        obj["properties"]["provisioningState"] = "Succeeded"
        op.result = view(spec, obj)
    obj.setdefault("properties", {})["provisioningState"] = "Updating"
    headers = start_op(ctx, p["id"], finish, "both")
    return 202, None, headers


def delete(ctx):
    p, spec = ctx["p"], ctx["spec"]
    obj = STATE.objects.get(key(p["id"]))
    if obj is None:
        return 204, None, []
    if "on_delete" in spec:
        spec["on_delete"](ctx, obj)
    style = spec.get("delete_lro", spec.get("lro"))

    def remove(op=None):
        prefix = key(p["id"]) + "/"
        for k in [k for k in STATE.objects if k.startswith(prefix)]:
            STATE.objects.pop(k, None)
        STATE.objects.pop(key(p["id"]), None)
        if op is not None:
            op.result_status = 204
            op.result = None
    if not style:
        remove()
        return 200, None, []
    if spec.get("has_properties", True):
        obj.setdefault("properties", {})["provisioningState"] = "Deleting"
    headers = start_op(ctx, p["id"], remove, "location" if style == "location" else "both")
    return 202, None, headers


def list_collection(ctx):
    p = ctx["p"]
    prefix = key(p["id"]) + "/"
    items = [view(ctx["spec"], o) for k, o in sorted(STATE.objects.items())
             if k.startswith(prefix) and "/" not in k[len(prefix):]]
    size = 100
    skip = int(ctx["query"].get("$skiptoken") or 0)
    page = items[skip:skip + size]
    out = {"value": page}
    if skip + size < len(items):
        out["nextLink"] = f"{BASE}{p['id']}?api-version={ctx['api']}&$skiptoken={skip + size}"
    return 200, out, []


def main():
    global BASE
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--azurite-blob", default=None)
    args = ap.parse_args()
    STATE.azurite_blob = args.azurite_blob
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    BASE = f"http://{args.host}:{server.server_address[1]}"
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

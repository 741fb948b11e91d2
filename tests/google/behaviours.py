"""What the Google test server does with a routed, checked request.

Generic resource semantics cover most methods: AIP-style `create` (id in a `...Id` query
parameter) and Compute-style `insert` (id is the body's `name`), `get`, `list`,
`aggregatedList`, `patch` with an `updateMask`, `delete`; a method whose response is an
Operation gets one (google.longrunning or Compute's), finishing on the virtual clock. Methods
with semantics of their own (Vertex deployModel, models:upload, Compute setLabels, ...) are
registered by the API modules below in HANDLERS, keyed by method id.
"""

import copy

from model import ApiError, Operation

HANDLERS = {}
# Hooks per resource collection ("aiplatform:endpoints"): on_create(ctx, obj) fills output
# fields; ready(ctx, obj) is applied when the create operation finishes; early = visible
# (in a transitional state) while the create operation runs; on_delete(ctx, obj) may refuse.
HOOKS = {}


def handler(method_id):
    def register(f):
        HANDLERS[method_id] = f
        return f

    return register


class Context:
    def __init__(self, state, api, method, rest, query, body, base_url):
        self.state = state
        self.api = api
        self.method = method
        self.query = query
        self.body = body
        self.base_url = base_url
        path = rest
        if api.service_path and path.startswith(api.service_path):
            path = path[len(api.service_path):]
        elif path.startswith(api.version + "/"):
            path = path[len(api.version) + 1:]
        self.path, _, self.verb = path.partition(":")
        self.mid = method["id"]
        self.compute_style = api.name in ("compute",)

    @property
    def response_ref(self):
        return self.method.get("response", {}).get("$ref", "")

    @property
    def returns_operation(self):
        return self.response_ref in ("GoogleLongrunningOperation", "Operation") and \
            self.api.name != "bigquery"

    def collection(self):
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def get(self, key=None, what=None):
        key = key or self.path
        obj = self.state.objects.get((self.api.prefix, key))
        if obj is None:
            raise ApiError(404, f"{what or 'Resource'} {key} not found.")
        return obj

    def put(self, key, obj):
        self.state.objects[(self.api.prefix, key)] = obj

    def hooks(self, collection=None):
        return HOOKS.get(f"{self.api.prefix}:{collection or self.collection_of(self.path)}", {})

    @staticmethod
    def collection_of(key):
        parts = key.split("/")
        return parts[-2] if len(parts) >= 2 else ""

    def operation(self, resource_key, finish, meta=None, kind=None):
        """Starts an operation on `resource_key`; returns its first JSON."""
        st = self.state
        duration = float(st.durations.get(self.mid, 60))
        meta = meta or {}
        if self.compute_style:
            scope = resource_key.split("/")[:4]  # projects/P/zones/Z or projects/P/global/x
            if scope[2] == "global":
                scope = scope[:3]
            op_key = "/".join(scope + ["operations", f"operation-{st.new_id()}"])
        elif self.api.name == "aiplatform":
            op_key = f"{resource_key}/operations/{st.new_id()}"  # Vertex nests them
        elif self.api.name == "serviceusage":
            op_key = f"operations/acf.p2-{st.new_id()}"
        else:
            op_key = "/".join(resource_key.split("/")[:4] + ["operations", f"operation-{st.new_id()}"])
        style = "compute" if self.compute_style else "container" if self.api.name == "container" else "lro"
        op = Operation(self.api.prefix, op_key, self.mid, st.clock + duration, finish, style, meta)
        op.kind = kind or self.mid.rsplit(".", 1)[-1]
        op.target = resource_key
        op.start = st.now_rfc3339()
        st.operations[(self.api.prefix, op_key)] = op
        return operation_json(self, op)


def operation_json(ctx, op):
    st = ctx.state
    if op.style == "compute":
        out = {
            "kind": "compute#operation",
            "id": op.key.rsplit("-", 1)[-1],
            "name": op.key.rsplit("/", 1)[-1],
            "operationType": op.kind,
            "targetLink": ctx.base_url + "compute/v1/" + op.target,
            "status": "DONE" if op.done else ("RUNNING" if st.clock > op.done_at - 60 else "PENDING"),
            "progress": 100 if op.done else 0,
            "insertTime": op.start,
            "selfLink": ctx.base_url + "compute/v1/" + op.key,
        }
        scope = op.key.split("/")
        if scope[2] == "zones":
            out["zone"] = ctx.base_url + "compute/v1/" + "/".join(scope[:4])
        elif scope[2] == "regions":
            out["region"] = ctx.base_url + "compute/v1/" + "/".join(scope[:4])
        if op.error is not None:
            out["error"] = {"errors": op.error.errors or [
                {"code": op.error.status, "message": op.error.message}]}
            out["httpErrorStatusCode"] = 400
            out["httpErrorMessage"] = op.error.status
        return out
    if op.style == "container":
        # GKE's own Operation: status PENDING/RUNNING/DONE, error as a google.rpc.Status.
        loc = op.key.split("/")[3]
        out = {"name": op.key.rsplit("/", 1)[-1], "zone": loc, "location": loc,
               "operationType": op.kind, "status": "DONE" if op.done else "RUNNING",
               "selfLink": ctx.base_url + "v1/" + op.key,
               "targetLink": ctx.base_url + "v1/" + op.target, "startTime": op.start}
        if op.meta.get("progress"):
            out["detail"] = op.meta["progress"]
        if op.done:
            out["endTime"] = st.now_rfc3339()
            if op.error is not None:
                out["error"] = {"code": op.error.code, "message": op.error.message}
                if op.error.details:
                    out["error"]["details"] = op.error.details
                out["statusMessage"] = op.error.message
        return out
    meta = {"genericMetadata": {"createTime": op.start, "updateTime": st.now_rfc3339()}}
    if op.meta.get("progress") is not None:
        meta["progressMessage"] = op.meta["progress"]
    out = {"name": op.key, "metadata": meta, "done": op.done}
    if op.done:
        if op.error is not None:
            e = {"code": op.error.code, "message": op.error.message}
            if op.error.details:
                e["details"] = op.error.details
            out["error"] = e
        else:
            out["response"] = op.response if op.response is not None else {}
    return out


def find_operation(ctx):
    op = ctx.state.operations.get((ctx.api.prefix, ctx.path))
    if op is None:
        raise ApiError(404, f"Operation {ctx.path} not found.")
    return op


def poll_operation(ctx, op):
    """Each poll moves the virtual clock on by auto_advance, then checks the operation."""
    ctx.state.clock += ctx.state.auto_advance
    return op.poll(ctx.state)


def dispatch(ctx):
    if ctx.mid in HANDLERS:
        return HANDLERS[ctx.mid](ctx)
    last = ctx.mid.rsplit(".", 1)[-1]
    if "/operations/" in ctx.path or ctx.path.startswith("operations/") or \
            ctx.path.endswith("/operations") and last != "list":
        if last in ("get", "wait"):
            return 200, operation_json(ctx, poll_operation(ctx, find_operation(ctx)))
    generic = {
        "create": create,
        "insert": create,
        "get": get,
        "list": list_objects,
        "aggregatedList": aggregated_list,
        "patch": patch,
        "delete": delete,
    }.get(last)
    if generic is None:
        raise ApiError(501, f"{ctx.mid} is not implemented by the test server", status="UNIMPLEMENTED")
    return generic(ctx)


def id_param(ctx):
    for k, p in ctx.method.get("parameters", {}).items():
        if k.endswith("Id") and p.get("location") == "query" and ctx.query.get(k):
            return ctx.query[k]
    return None


def create(ctx):
    body = copy.deepcopy(ctx.body or {})
    if ctx.compute_style:
        ident = body.get("name")
    else:
        ident = id_param(ctx) or ctx.state.new_id()
    key = f"{ctx.path}/{ident}"
    if (ctx.api.prefix, key) in ctx.state.objects:
        raise ApiError(409, f"Resource '{key}' already exists", status="ALREADY_EXISTS",
                       errors=[{"reason": "alreadyExists", "message": f"The resource '{key}' already exists"}])
    hooks = ctx.hooks(ctx.collection())
    obj = body
    now = ctx.state.now_rfc3339()
    if ctx.compute_style:
        obj.update({"id": ctx.state.new_id(), "creationTimestamp": now,
                    "selfLink": ctx.base_url + "compute/v1/" + key})
        if ".instances." in ctx.mid or ".disks." in ctx.mid:
            obj["zone"] = ctx.base_url + "compute/v1/" + "/".join(key.split("/")[:4])
    else:
        obj["name"] = key
        props = ctx.api.schema(ctx.method["request"]["$ref"]).get("properties", {})
        for stamp in ("createTime", "updateTime"):
            if stamp in props:
                obj[stamp] = now
    if "on_create" in hooks:
        hooks["on_create"](ctx, obj)
    if not ctx.returns_operation:
        ctx.put(key, obj)
        return 200, obj
    if hooks.get("early") or ctx.compute_style:
        ctx.put(key, obj)

    def finish():
        if "ready" in hooks:
            hooks["ready"](ctx, obj)
        ctx.put(key, obj)
        return with_type(ctx, obj)

    def failed():
        ctx.state.objects.pop((ctx.api.prefix, key), None)

    return 200, ctx.operation(key, finish, {"on_error": failed})


def with_type(ctx, obj):
    if ctx.compute_style:
        return None
    out = dict(obj)
    name = ctx.method.get("request", {}).get("$ref", "")
    if name.startswith("GoogleCloudAiplatformV1"):
        out["@type"] = "type.googleapis.com/google.cloud.aiplatform.v1." + name[len("GoogleCloudAiplatformV1"):]
    elif name:
        out["@type"] = f"type.googleapis.com/google.cloud.{ctx.api.name}.{ctx.api.version}.{name}"
    return out


def get(ctx):
    return 200, ctx.get()


def children(ctx, parent):
    prefix = parent.rstrip("/") + "/"
    out = []
    for (api, key), obj in sorted(ctx.state.objects.items()):
        if api != ctx.api.prefix or not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        if "/" in rest:
            continue
        out.append(obj)
    return out


def list_field(ctx):
    ref = ctx.response_ref
    if not ref:
        return "items"
    props = ctx.api.schema(ref).get("properties", {})
    for k, p in props.items():
        if p.get("type") == "array" and k not in ("unreachable", "warnings"):
            return k
    return "items"


def list_objects(ctx):
    items = children(ctx, ctx.path)
    size = int(ctx.query.get("pageSize") or ctx.query.get("maxResults") or 500)
    start = int(ctx.query.get("pageToken") or 0)
    page = items[start:start + size]
    out = {list_field(ctx): page} if page else {}
    if ctx.compute_style:
        out.update({"kind": "compute#instanceList", "items": page})
    if start + size < len(items):
        out["nextPageToken"] = str(start + size)
    return 200, out


def aggregated_list(ctx):
    # compute: projects/P/aggregated/instances -> {"items": {"zones/Z": {"instances": [...]}}}
    parts = ctx.path.split("/")
    project, collection = parts[1], parts[-1]
    groups = {}
    for (api, key), obj in sorted(ctx.state.objects.items()):
        k = key.split("/")
        if api != ctx.api.prefix or len(k) != 6 or k[1] != project or k[4] != collection:
            continue
        groups.setdefault(f"{k[2]}/{k[3]}", {}).setdefault(collection, []).append(obj)
    return 200, {"kind": f"compute#{collection}AggregatedList", "items": groups}


def set_path(obj, dotted, value):
    parts = dotted.split(".")
    for p in parts[:-1]:
        obj = obj.setdefault(p, {})
    if value is None:
        obj.pop(parts[-1], None)
    else:
        obj[parts[-1]] = value


def get_path(obj, dotted):
    for p in dotted.split("."):
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


def camel(s):
    head, *rest = s.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def patch(ctx):
    obj = ctx.get()
    body = ctx.body or {}
    etag = body.get("etag")
    if etag and obj.get("etag") and etag != obj["etag"]:
        raise ApiError(409, "The etag in the request does not match the current etag.", status="ABORTED")
    mask = ctx.query.get("updateMask")
    fields = [camel(f) for f in mask.split(",")] if mask else list(body)
    hooks = ctx.hooks()
    mutable = hooks.get("mutable")
    for f in fields:
        if mutable is not None and f.split(".")[0] not in mutable:
            raise ApiError(400, f"Field {f} cannot be updated.")
    if "check_patch" in hooks:
        hooks["check_patch"](ctx, obj, body, fields)

    def apply():
        for f in fields:
            set_path(obj, f, copy.deepcopy(get_path(body, f)))
        if "updateTime" in obj:
            obj["updateTime"] = ctx.state.now_rfc3339()
        if "etag" in obj:
            obj["etag"] = ctx.state.new_id()
        return with_type(ctx, obj)

    if ctx.returns_operation:
        return 200, ctx.operation(ctx.path, apply)
    apply()
    return 200, obj


def delete(ctx):
    obj = ctx.get()
    hooks = ctx.hooks()
    if "on_delete" in hooks:
        hooks["on_delete"](ctx, obj)
    key = ctx.path
    if not ctx.returns_operation:
        ctx.state.objects.pop((ctx.api.prefix, key), None)
        return 200, {}

    def finish():
        ctx.state.objects.pop((ctx.api.prefix, key), None)
        return {"@type": "type.googleapis.com/google.protobuf.Empty"} if not ctx.compute_style else None

    if "deleting" in hooks:
        hooks["deleting"](ctx, obj)
    return 200, ctx.operation(key, finish)


# The API modules register their handlers and hooks on import.
import vertex  # noqa: E402,F401
import tpu  # noqa: E402,F401
import compute  # noqa: E402,F401
import platform_apis  # noqa: E402,F401
import container  # noqa: E402,F401

"""Project plumbing: Service Usage (enable/disable APIs), IAM service accounts, project IAM
policies (Resource Manager getIamPolicy/setIamPolicy with etags), BigQuery datasets.

Semantics as the references state them: a service not enabled reads as DISABLED (it exists
in every project); enable/disable are long-running (`operations/...`); a service account is
created from `accountId` and named by its email; setIamPolicy with a stale etag is 409
ABORTED (read-modify-write races surface as in Google); a dataset with tables is not deleted
without deleteContents.
"""

import copy

from behaviours import handler
from model import ApiError


# --- Service Usage ---------------------------------------------------------------------

def service(ctx, name):
    obj = ctx.state.objects.get(("serviceusage", name))
    if obj is None:
        parent = "/".join(name.split("/")[:2])
        obj = {"name": name, "parent": parent, "state": "DISABLED",
               "config": {"name": name.rsplit("/", 1)[-1], "title": name.rsplit("/", 1)[-1]}}
    return obj


@handler("serviceusage.services.get")
def service_get(ctx):
    return 200, service(ctx, ctx.path)


@handler("serviceusage.services.list")
def service_list(ctx):
    items = [o for (api, k), o in sorted(ctx.state.objects.items())
             if api == "serviceusage" and k.startswith(ctx.path + "/") and o.get("state") == "ENABLED"]
    flt = ctx.query.get("filter", "")
    if flt and flt != "state:ENABLED":
        raise ApiError(400, f"unsupported filter {flt!r}")
    return 200, {"services": items} if items else {}


def service_change(ctx, state):
    name = ctx.path
    known = name.rsplit("/", 1)[-1].endswith(".googleapis.com")
    if not known:
        raise ApiError(403, f"Not found or permission denied for service(s): {name.rsplit('/', 1)[-1]}.",
                       status="PERMISSION_DENIED")
    obj = copy.deepcopy(service(ctx, name))

    def finish():
        obj["state"] = state
        ctx.state.objects[("serviceusage", name)] = obj
        return {"@type": "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse",
                "service": obj}
    return 200, ctx.operation(name, finish)


@handler("serviceusage.services.enable")
def service_enable(ctx):
    return service_change(ctx, "ENABLED")


@handler("serviceusage.services.disable")
def service_disable(ctx):
    return service_change(ctx, "DISABLED")


# --- IAM service accounts ----------------------------------------------------------------

def account_key(ctx, path):
    """`projects/P/serviceAccounts/{email or uniqueId}` as the stored key (by email)."""
    project, ident = path.split("/")[1], path.split("/")[3]
    if "@" in ident:
        return f"projects/{project}/serviceAccounts/{ident}"
    for (api, k), o in ctx.state.objects.items():
        if api == "iam" and o.get("uniqueId") == ident:
            return k
    return f"projects/{project}/serviceAccounts/{ident}"


def account(ctx):
    key = account_key(ctx, ctx.path)
    obj = ctx.state.objects.get(("iam", key))
    if obj is None:
        raise ApiError(404, f"Unknown service account", status="NOT_FOUND")
    return key, obj


@handler("iam.projects.serviceAccounts.create")
def account_create(ctx):
    project = ctx.path.split("/")[1]
    aid = ctx.body.get("accountId", "")
    if not (6 <= len(aid) <= 30) or not aid[0].isalpha() or not all(c.islower() or c.isdigit() or c == "-" for c in aid):
        raise ApiError(400, f"Invalid value for [accountId]: {aid!r}; must match ^[a-z](?:[-a-z0-9]{{4,28}}[a-z0-9])$",
                       status="INVALID_ARGUMENT")
    email = f"{aid}@{project}.iam.gserviceaccount.com"
    key = f"projects/{project}/serviceAccounts/{email}"
    if ("iam", key) in ctx.state.objects:
        raise ApiError(409, f"Service account {aid} already exists within project projects/{project}.",
                       status="ALREADY_EXISTS")
    sa = ctx.body.get("serviceAccount") or {}
    uid = ctx.state.new_id()[:21]
    obj = {"name": key, "projectId": project, "uniqueId": uid, "email": email,
           "displayName": sa.get("displayName", ""), "description": sa.get("description", ""),
           "etag": "MDEwMjE5MjA=", "oauth2ClientId": uid}
    obj = {k: v for k, v in obj.items() if v != ""}
    ctx.state.objects[("iam", key)] = obj
    return 200, obj


@handler("iam.projects.serviceAccounts.get")
def account_get(ctx):
    return 200, account(ctx)[1]


@handler("iam.projects.serviceAccounts.patch")
def account_patch(ctx):
    _, obj = account(ctx)
    mask = ctx.body.get("updateMask", "")
    sa = ctx.body.get("serviceAccount") or {}
    for f in [f for f in mask.split(",") if f]:
        if f not in ("displayName", "description"):
            raise ApiError(400, f"Invalid update mask field {f}", status="INVALID_ARGUMENT")
        if sa.get(f):
            obj[f] = sa[f]
        else:
            obj.pop(f, None)
    return 200, obj


@handler("iam.projects.serviceAccounts.disable")
def account_disable(ctx):
    ctx.path = ctx.path
    _, obj = account(ctx)
    obj["disabled"] = True
    return 200, {}


@handler("iam.projects.serviceAccounts.enable")
def account_enable(ctx):
    _, obj = account(ctx)
    obj.pop("disabled", None)
    return 200, {}


@handler("iam.projects.serviceAccounts.delete")
def account_delete(ctx):
    key, _ = account(ctx)
    ctx.state.objects.pop(("iam", key), None)
    return 200, {}


# --- Project IAM policy ------------------------------------------------------------------

def policy(ctx, project):
    return ctx.state.objects.setdefault(
        ("cloudresourcemanager", f"projects/{project}:policy"),
        {"version": 1, "etag": "BwYAAAAAAAA=",
         "bindings": [{"role": "roles/owner", "members": ["user:owner@example.com"]}]})


@handler("cloudresourcemanager.projects.getIamPolicy")
def get_policy(ctx):
    return 200, copy.deepcopy(policy(ctx, ctx.path.split("/")[1]))


@handler("cloudresourcemanager.projects.setIamPolicy")
def set_policy(ctx):
    project = ctx.path.split("/")[1]
    current = policy(ctx, project)
    new = copy.deepcopy(ctx.body.get("policy") or {})
    if new.get("etag") and new["etag"] != current["etag"]:
        raise ApiError(409, "There were concurrent policy changes. Please retry the whole "
                            "read-modify-write with exponential backoff.", status="ABORTED")
    owners = [b for b in new.get("bindings", []) if b.get("role") == "roles/owner" and b.get("members")]
    if not owners:
        raise ApiError(400, "The policy must have at least one owner.", status="INVALID_ARGUMENT")
    for b in new.get("bindings", []):
        for m in b.get("members", []):
            if m.split(":", 1)[0] not in ("user", "serviceAccount", "group", "domain", "principal",
                                          "principalSet", "allUsers", "allAuthenticatedUsers"):
                raise ApiError(400, f"Invalid member: {m}", status="INVALID_ARGUMENT")
            if m.startswith("serviceAccount:") and m.endswith(".iam.gserviceaccount.com"):
                email = m.split(":", 1)[1]
                key = f"projects/{email.split('@')[1].split('.')[0]}/serviceAccounts/{email}"
                if ("iam", key) not in ctx.state.objects:
                    raise ApiError(400, f"Service account {email} does not exist.", status="INVALID_ARGUMENT")
    new["etag"] = "BwY" + ctx.state.new_id()[-9:] + "="
    new.setdefault("version", 1)
    ctx.state.objects[("cloudresourcemanager", f"projects/{project}:policy")] = new
    return 200, copy.deepcopy(new)


# --- BigQuery datasets -------------------------------------------------------------------

def dataset_key(project, dataset_id):
    return f"projects/{project}/datasets/{dataset_id}"


@handler("bigquery.datasets.insert")
def dataset_insert(ctx):
    project = ctx.path.split("/")[1]
    body = copy.deepcopy(ctx.body or {})
    ref = body.get("datasetReference") or {}
    did = ref.get("datasetId", "")
    if not did or not all(c.isalnum() or c == "_" for c in did):
        raise ApiError(400, f"Invalid dataset ID \"{did}\".", status="INVALID_ARGUMENT",
                       errors=[{"reason": "invalid", "message": f"Invalid dataset ID \"{did}\"."}])
    key = dataset_key(project, did)
    if ("bigquery", key) in ctx.state.objects:
        raise ApiError(409, f"Already Exists: Dataset {project}:{did}", status="ALREADY_EXISTS",
                       errors=[{"reason": "duplicate", "message": f"Already Exists: Dataset {project}:{did}"}])
    now = str(int(1_767_225_600_000 + ctx.state.clock * 1000))
    body.update({"kind": "bigquery#dataset", "id": f"{project}:{did}",
                 "datasetReference": {"projectId": project, "datasetId": did},
                 "etag": ctx.state.new_id()[-10:], "creationTime": now, "lastModifiedTime": now,
                 "selfLink": ctx.base_url + f"bigquery/v2/{key}", "type": "DEFAULT"})
    body.setdefault("location", "US")
    body.setdefault("maxTimeTravelHours", "168")
    body.setdefault("access", [{"role": "OWNER", "specialGroup": "projectOwners"},
                               {"role": "READER", "specialGroup": "projectReaders"},
                               {"role": "WRITER", "specialGroup": "projectWriters"}])
    ctx.state.objects[("bigquery", key)] = body
    return 200, body


def dataset(ctx):
    obj = ctx.state.objects.get(("bigquery", ctx.path))
    if obj is None:
        p, d = ctx.path.split("/")[1], ctx.path.split("/")[3]
        raise ApiError(404, f"Not found: Dataset {p}:{d}", status="NOT_FOUND",
                       errors=[{"reason": "notFound", "message": f"Not found: Dataset {p}:{d}"}])
    return obj


@handler("bigquery.datasets.get")
def dataset_get(ctx):
    return 200, dataset(ctx)


@handler("bigquery.datasets.patch")
def dataset_patch(ctx):
    obj = dataset(ctx)
    for k, v in (ctx.body or {}).items():
        if k in ("datasetReference", "location") and v != obj.get(k):
            raise ApiError(400, f"Cannot change {k}", status="INVALID_ARGUMENT")
        if k == "labels":
            labels = obj.setdefault("labels", {})
            for lk, lv in v.items():
                if lv is None:
                    labels.pop(lk, None)
                else:
                    labels[lk] = lv
        elif v is None:
            obj.pop(k, None)
        else:
            obj[k] = v
    obj["etag"] = ctx.state.new_id()[-10:]
    obj["lastModifiedTime"] = str(int(1_767_225_600_000 + ctx.state.clock * 1000))
    return 200, obj


@handler("bigquery.datasets.delete")
def dataset_delete(ctx):
    obj = dataset(ctx)
    if obj.get("_tables") and ctx.query.get("deleteContents") != "true":
        raise ApiError(400, f"Dataset {obj['id']} is still in use", status="FAILED_PRECONDITION",
                       errors=[{"reason": "resourceInUse", "message": f"Dataset {obj['id']} is still in use"}])
    ctx.state.objects.pop(("bigquery", ctx.path), None)
    return 204, None

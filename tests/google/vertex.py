"""Vertex AI (aiplatform v1): endpoints, models uploaded with models:upload, deployed models.

Semantics as the API reference states them: deployModel adds a DeployedModel (its id the
caller's or generated), with the request's trafficSplit ("0" = the model being deployed)
replacing the endpoint's; undeployModel refuses a model that still takes traffic unless the
request's trafficSplit moves it away; mutateDeployedModel changes replica counts and
autoscaling only; an endpoint with deployed models cannot be deleted, nor can a model that
is deployed.
"""

import copy

from behaviours import HOOKS, camel, get_path, handler, set_path
from model import ApiError

API = "aiplatform"


def endpoint_created(ctx, obj):
    obj["etag"] = ctx.state.new_id()


def endpoint_delete(ctx, obj):
    if obj.get("deployedModels"):
        ids = ", ".join(d["id"] for d in obj["deployedModels"])
        raise ApiError(400, f"Endpoint {obj['name']} has deployed models ({ids}); undeploy them first.",
                       status="FAILED_PRECONDITION")


def check_split(endpoint, split, extra_ids=()):
    ids = {d["id"] for d in endpoint.get("deployedModels", [])} | set(extra_ids)
    for k, v in split.items():
        if k not in ids:
            raise ApiError(400, f"Deployed model {k} in traffic_split does not exist in Endpoint "
                                f"{endpoint['name']}.")
        if int(v) < 0:
            raise ApiError(400, "Traffic split percentages must be non-negative.")
    if split and sum(int(v) for v in split.values()) != 100:
        raise ApiError(400, "The traffic split percentages must add up to 100.")


def endpoint_patch(ctx, obj, body, fields):
    if "trafficSplit" in fields:
        check_split(obj, body.get("trafficSplit") or {})


HOOKS[f"{API}:endpoints"] = {
    "on_create": endpoint_created,
    "on_delete": endpoint_delete,
    "check_patch": endpoint_patch,
    "mutable": {"displayName", "description", "labels", "trafficSplit",
                "predictRequestResponseLoggingConfig", "clientConnectionConfig"},
}


def deployed_anywhere(ctx, model_name):
    for (api, _), obj in ctx.state.objects.items():
        if api == API and "/endpoints/" in obj.get("name", ""):
            for d in obj.get("deployedModels", []):
                if d.get("model") == model_name:
                    return obj["name"]
    return None


def model_delete(ctx, obj):
    where = deployed_anywhere(ctx, obj["name"])
    if where:
        raise ApiError(400, f"Model {obj['name']} is deployed or being deployed at the following "
                            f"Endpoint(s): {where}.", status="FAILED_PRECONDITION")


HOOKS[f"{API}:models"] = {
    "on_delete": model_delete,
    "mutable": {"displayName", "description", "labels", "versionAliases", "versionDescription"},
}


@handler("aiplatform.projects.locations.models.upload")
def upload(ctx):
    parent = ctx.path[: -len("/models")] if ctx.path.endswith("/models") else ctx.path
    body = ctx.body
    model_id = body.get("modelId") or ctx.state.new_id()
    key = f"{parent}/models/{model_id}"
    if (API, key) in ctx.state.objects:
        raise ApiError(409, f"Model {key} already exists.", status="ALREADY_EXISTS")
    model = copy.deepcopy(body["model"])
    now = ctx.state.now_rfc3339()
    model.update({"name": key, "versionId": "1", "versionAliases": ["default"],
                  "createTime": now, "updateTime": now, "versionCreateTime": now,
                  "versionUpdateTime": now, "etag": ctx.state.new_id(),
                  "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"]})

    def finish():
        ctx.put(key, model)
        return {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelResponse",
                "model": key, "modelVersionId": "1"}

    return 200, ctx.operation(key, finish)


def endpoint_of(ctx):
    return ctx.get(ctx.path, "Endpoint")


@handler("aiplatform.projects.locations.endpoints.deployModel")
def deploy_model(ctx):
    endpoint = endpoint_of(ctx)
    dm = copy.deepcopy(ctx.body["deployedModel"])
    model_name = dm.get("model", "")
    if (API, model_name.split("@")[0]) not in ctx.state.objects:
        raise ApiError(404, f"Model {model_name} not found.")
    if not dm.get("dedicatedResources") and not dm.get("automaticResources"):
        raise ApiError(400, "Model requires dedicated resources for deployment: "
                            "deployed_model.dedicated_resources must be set.")
    res = dm.get("dedicatedResources", {})
    if res and int(res.get("minReplicaCount", 0)) < 1:
        raise ApiError(400, "dedicated_resources.min_replica_count must be at least 1.")
    dm_id = dm.get("id") or ctx.state.new_id()[-10:]
    if any(d["id"] == dm_id for d in endpoint.get("deployedModels", [])):
        raise ApiError(409, f"DeployedModel {dm_id} already exists in Endpoint {endpoint['name']}.",
                       status="ALREADY_EXISTS")
    split = {(dm_id if k == "0" else k): v for k, v in (ctx.body.get("trafficSplit") or {}).items()}
    check_split(endpoint, split, [dm_id])
    dm.update({"id": dm_id, "createTime": ctx.state.now_rfc3339(), "modelVersionId": "1"})
    if res and "maxReplicaCount" not in res:
        res["maxReplicaCount"] = res["minReplicaCount"]
    if "displayName" not in dm:
        dm["displayName"] = ctx.state.objects[(API, model_name.split("@")[0])].get("displayName", "")

    def finish():
        endpoint.setdefault("deployedModels", []).append(dm)
        if split:
            endpoint["trafficSplit"] = split
        endpoint["etag"] = ctx.state.new_id()
        return {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeployModelResponse",
                "deployedModel": dm}

    return 200, ctx.operation(endpoint["name"], finish, {"progress": "Deploying model"})


@handler("aiplatform.projects.locations.endpoints.undeployModel")
def undeploy_model(ctx):
    endpoint = endpoint_of(ctx)
    dm_id = ctx.body["deployedModelId"]
    models = endpoint.get("deployedModels", [])
    if not any(d["id"] == dm_id for d in models):
        raise ApiError(404, f"DeployedModel {dm_id} not found in Endpoint {endpoint['name']}.")
    split = ctx.body.get("trafficSplit")
    remaining = [d for d in models if d["id"] != dm_id]
    if split is not None:
        check_split({"name": endpoint["name"], "deployedModels": remaining}, split)
    elif int((endpoint.get("trafficSplit") or {}).get(dm_id, 0)) > 0 and remaining:
        raise ApiError(400, f"DeployedModel {dm_id} still has traffic in Endpoint "
                            f"{endpoint['name']}; provide a traffic_split that removes it.",
                       status="FAILED_PRECONDITION")

    def finish():
        endpoint["deployedModels"] = remaining
        if not remaining:
            endpoint.pop("trafficSplit", None)
            endpoint.pop("deployedModels", None)
        elif split is not None:
            endpoint["trafficSplit"] = split
        else:
            endpoint.get("trafficSplit", {}).pop(dm_id, None)
        endpoint["etag"] = ctx.state.new_id()
        return {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.UndeployModelResponse"}

    return 200, ctx.operation(endpoint["name"], finish)


MUTABLE_DEPLOYED = {"dedicatedResources.minReplicaCount", "dedicatedResources.maxReplicaCount",
                    "dedicatedResources.autoscalingMetricSpecs", "dedicatedResources.requiredReplicaCount",
                    "disableContainerLogging", "enableAccessLogging", "enableContainerLogging"}


@handler("aiplatform.projects.locations.endpoints.mutateDeployedModel")
def mutate_deployed_model(ctx):
    endpoint = endpoint_of(ctx)
    want = ctx.body["deployedModel"]
    dm = next((d for d in endpoint.get("deployedModels", []) if d["id"] == want.get("id")), None)
    if dm is None:
        raise ApiError(404, f"DeployedModel {want.get('id')} not found in Endpoint {endpoint['name']}.")
    mask = [m.strip() for m in (ctx.body.get("updateMask") or "").split(",") if m.strip()]
    if not mask:
        raise ApiError(400, "update_mask is required.")
    fields = [".".join(camel(p) for p in m.split(".")) for m in mask]
    for f in fields:
        if f not in MUTABLE_DEPLOYED:
            raise ApiError(400, f"Field {f} of DeployedModel cannot be mutated; redeploy instead.")

    def finish():
        for f in fields:
            set_path(dm, f, copy.deepcopy(get_path(want, f)))
        endpoint["etag"] = ctx.state.new_id()
        return {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.MutateDeployedModelResponse",
                "deployedModel": dm}

    return 200, ctx.operation(endpoint["name"], finish, {"progress": "Mutating deployed model"})


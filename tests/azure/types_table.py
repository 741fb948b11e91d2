"""The resource types the ARM test server serves, and what each does beyond generic ARM.

Each entry: the ARM type name, the api-versions served, the body check (schema.py), the
long-running style (None: synchronous; "async": 201 + Azure-AsyncOperation; "location": 202
+ Location), hooks that fill read-only properties and enforce the service's rules, and
POST actions.
"""

import re
import uuid

import schema
from azure.ai.ml._restclient.arm_ml_service import models as ML
from schema import Invalid


def err(status, code, message):
    return schema.ArmError(status, code, message)


# --- resource groups ---------------------------------------------------------------------

def rg_fill(ctx, obj, existing):
    obj.pop("properties", None)
    obj["properties"] = {"provisioningState": "Succeeded"}


# --- storage -----------------------------------------------------------------------------

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def storage_put(ctx, body, existing):
    name = ctx["p"]["names"][0]
    if not re.fullmatch(r"[a-z0-9]{3,24}", name):
        raise err(400, "AccountNameInvalid",
                  f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 "
                  "characters in length and use numbers and lower-case letters only.")
    if existing is None:
        for k, o in ctx["state"].objects.items():
            if "/microsoft.storage/storageaccounts/" in k and k.endswith("/" + name) and k.count("/") == 8:
                raise err(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")


def storage_fill(ctx, obj, existing):
    name = obj["name"]
    blob = ctx["state"].azurite_blob or f"https://{name}.blob.core.windows.net/"
    props = obj["properties"]
    props.update({"primaryEndpoints": {"blob": blob, "dfs": f"https://{name}.dfs.core.windows.net/",
                                       "queue": f"https://{name}.queue.core.windows.net/",
                                       "table": f"https://{name}.table.core.windows.net/",
                                       "file": f"https://{name}.file.core.windows.net/",
                                       "web": f"https://{name}.z13.web.core.windows.net/"},
                  "primaryLocation": obj["location"], "statusOfPrimary": "available",
                  "creationTime": "2026-01-01T00:00:00.0000000Z"})
    props.setdefault("accessTier", "Hot")
    props.setdefault("supportsHttpsTrafficOnly", True)
    props.setdefault("minimumTlsVersion", "TLS1_0")
    props.setdefault("allowBlobPublicAccess", False)
    props.setdefault("isHnsEnabled", False)
    props.setdefault("publicNetworkAccess", "Enabled")
    obj["sku"]["tier"] = "Premium" if obj["sku"]["name"].startswith("Premium") else "Standard"
    obj.setdefault("tags", {})


def list_keys(ctx, obj):
    return 200, {"keys": [{"keyName": "key1", "value": AZURITE_KEY, "permissions": "FULL"},
                          {"keyName": "key2", "value": AZURITE_KEY, "permissions": "FULL"}]}, []


# --- Azure Machine Learning --------------------------------------------------------------

def ml_check(model):
    return lambda body, creating: schema.check_model(model, body, "", creating)


def workspace_put(ctx, body, existing):
    sa = (body.get("properties") or {}).get("storageAccount")
    if sa and sa.lower() not in ctx["state"].objects:
        raise err(400, "BadRequest", f"Storage account {sa} does not exist.")


def identity_fill(obj):
    ident = obj.get("identity")
    if ident and "SystemAssigned" in ident.get("type", ""):
        ident.setdefault("principalId", str(uuid.uuid5(uuid.NAMESPACE_URL, obj["id"])))
        ident.setdefault("tenantId", "00000000-0000-0000-0000-00000000a2e0")


def workspace_fill(ctx, obj, existing):
    props = obj["properties"]
    if existing:
        props["workspaceId"] = existing["properties"]["workspaceId"]
    props.setdefault("workspaceId", str(uuid.uuid4()))
    loc = obj.get("location", "eastus")
    props["discoveryUrl"] = f"https://{loc}.api.azureml.ms/discovery"
    props["mlFlowTrackingUri"] = f"azureml://{loc}.api.azureml.ms/mlflow/v1.0{obj['id']}"
    props.setdefault("publicNetworkAccess", "Enabled")
    props.setdefault("v1LegacyMode", False)
    props.setdefault("hbiWorkspace", False)
    obj.setdefault("sku", {"name": "Basic", "tier": "Basic"})
    obj.setdefault("kind", "Default")
    identity_fill(obj)


GPU_SIZES = {"standard_nc24ads_a100_v4", "standard_nc48ads_a100_v4", "standard_nc96ads_a100_v4",
             "standard_nd96isr_h100_v5", "standard_nd96asr_v4", "standard_nc6s_v3", "standard_nc4as_t4_v3",
             "standard_nv36ads_a10_v5", "standard_ds3_v2", "standard_d4s_v3", "standard_f4s_v2", "standard_e4s_v3"}


def compute_put(ctx, body, existing):
    props = (body.get("properties") or {})
    inner = props.get("properties") or {}
    size = (inner.get("vmSize") or "").lower()
    if size and size not in GPU_SIZES:
        raise err(400, "BadRequest", f"The specified vm size {inner['vmSize']} is not supported in the region.")
    if existing is not None:
        old = existing["properties"].get("properties", {})
        for k in ("vmSize", "vmPriority"):
            if k in inner and inner[k] != old.get(k):
                raise err(400, "BadRequest", f"Updating {k} of an existing compute is not supported.")


def compute_fill(ctx, obj, existing):
    props = obj["properties"]
    inner = props.setdefault("properties", {})
    if props.get("computeType") == "ComputeInstance":
        inner["state"] = "Running"
        if "sshSettings" in inner:
            inner["sshSettings"].update({"adminUserName": "azureuser", "sshPort": 50000})
        props["createdOn"] = existing["properties"]["createdOn"] if existing else "2026-01-01T00:00:00.000Z"
        identity_fill(obj)
        return
    scale = inner.setdefault("scaleSettings", {"maxNodeCount": 1, "minNodeCount": 0})
    scale.setdefault("minNodeCount", 0)
    scale.setdefault("nodeIdleTimeBeforeScaleDown", "PT120S")
    inner.setdefault("vmPriority", "Dedicated")
    inner.setdefault("osType", "Linux")
    inner.setdefault("remoteLoginPortPublicAccess", "NotSpecified")
    inner.setdefault("enableNodePublicIp", True)
    inner.update({"allocationState": "Steady", "currentNodeCount": scale["minNodeCount"],
                  "targetNodeCount": scale["minNodeCount"]})
    props.setdefault("computeLocation", obj.get("location"))
    props.setdefault("disableLocalAuth", True)
    props["createdOn"] = existing["properties"]["createdOn"] if existing else "2026-01-01T00:00:00.000Z"
    props["isAttachedCompute"] = False
    identity_fill(obj)


def compute_patch_check(body):
    schema.check_model(ML.ClusterUpdateParameters, body, "", False)


def compute_patch(ctx, obj, body):
    scale = (((body.get("properties") or {}).get("properties") or {}).get("scaleSettings"))
    if scale is not None:
        inner = obj["properties"]["properties"]
        inner["scaleSettings"].update(scale)
        n = inner["scaleSettings"].get("minNodeCount", 0)
        inner.update({"currentNodeCount": n, "targetNodeCount": n})
    body.clear()  # applied here: the generic merge has nothing left to do


def deployments_of(state, endpoint_id):
    prefix = endpoint_id.lower() + "/deployments/"
    return {k[len(prefix):]: o for k, o in state.objects.items() if k.startswith(prefix) and "/" not in k[len(prefix):]}


def endpoint_put(ctx, body, existing):
    traffic = (body.get("properties") or {}).get("traffic") or {}
    names = deployments_of(ctx["state"], ctx["p"]["id"])
    for d, pct in traffic.items():
        if d.lower() not in names:
            raise err(400, "BadArgument", f"Deployment {d} does not exist in endpoint {ctx['p']['names'][-1]}; "
                                          "traffic can only be routed to existing deployments.")
        if not 0 <= int(pct) <= 100:
            raise err(400, "BadArgument", "Traffic values must be between 0 and 100.")
    if traffic and sum(int(v) for v in traffic.values()) not in (0, 100):
        raise err(400, "BadArgument", f"Traffic values need to sum to 100 (they sum to {sum(traffic.values())}).")


def endpoint_fill(ctx, obj, existing):
    name = obj["name"]
    loc = obj.get("location", "eastus")
    props = obj["properties"]
    props["scoringUri"] = f"https://{name}.{loc}.inference.ml.azure.com/score"
    props["swaggerUri"] = f"https://{name}.{loc}.inference.ml.azure.com/swagger.json"
    props.setdefault("traffic", {})
    props.setdefault("publicNetworkAccess", "Enabled")
    props.pop("keys", None)
    identity_fill(obj)


def deployment_put(ctx, body, existing):
    props = body.get("properties") or {}
    it = (props.get("instanceType") or "").lower()
    if it and it not in GPU_SIZES:
        raise err(400, "BadArgument", f"Instance type {props['instanceType']} is not supported for managed online deployments.")
    if existing is not None and props.get("instanceType") and props["instanceType"] != existing["properties"].get("instanceType"):
        raise err(400, "BadArgument", "instanceType cannot be changed; create a new deployment.")


def deployment_fill(ctx, obj, existing):
    obj.setdefault("sku", {"name": "Default", "capacity": 1})
    props = obj["properties"]
    props.setdefault("scaleSettings", {"scaleType": "Default"})
    props.setdefault("requestSettings", {"maxConcurrentRequestsPerInstance": 1, "requestTimeout": "PT5S"})
    props.setdefault("appInsightsEnabled", False)
    props.setdefault("egressPublicNetworkAccess", "Enabled")


def deployment_delete(ctx, obj):
    endpoint = "/".join(obj["id"].split("/")[:-2])
    ep = ctx["state"].objects.get(endpoint.lower())
    traffic = ((ep or {}).get("properties") or {}).get("traffic") or {}
    share = {k.lower(): v for k, v in traffic.items()}.get(obj["name"].lower(), 0)
    if share:
        raise err(400, "BadArgument", f"Deployment {obj['name']} cannot be deleted while it takes traffic "
                                      f"({share}%); move its traffic to other deployments first.")


def deployment_patch_check(body):
    schema.check_model(ML.PartialMinimalTrackedResourceWithSku, body, "", False)


def endpoint_patch_check(body):
    schema.check_model(ML.PartialMinimalTrackedResourceWithIdentity, body, "", False)


def vault_put(ctx, body, existing):
    name = ctx["p"]["names"][0]
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]", name):
        raise err(400, "VaultNameNotValid", f"The vault name '{name}' is invalid. A vault's name must be between 3-24 "
                  "alphanumeric characters, begin with a letter, end with a letter or digit, and not contain hyphens in a row.")


def vault_fill(ctx, obj, existing):
    obj["properties"]["vaultUri"] = f"https://{obj['name']}.vault.azure.net/"
    obj["properties"].setdefault("accessPolicies", [])
    obj["properties"].setdefault("enableSoftDelete", True)
    obj.setdefault("tags", {})


def vault_patch(ctx, obj, body):
    merge_props = body.get("properties") or {}
    if "softDeleteRetentionInDays" in merge_props and merge_props["softDeleteRetentionInDays"] != obj["properties"].get("softDeleteRetentionInDays"):
        raise err(400, "BadRequest", "softDeleteRetentionInDays cannot be changed once set.")


def component_fill(ctx, obj, existing):
    props = obj["properties"]
    keep = existing["properties"] if existing else {}
    props["AppId"] = keep.get("AppId") or str(uuid.uuid4())
    props["InstrumentationKey"] = keep.get("InstrumentationKey") or str(uuid.uuid4())
    props["ConnectionString"] = (f"InstrumentationKey={props['InstrumentationKey']};"
                                 f"IngestionEndpoint=https://{obj['location']}-0.in.applicationinsights.azure.com/")
    props["Name"] = obj["name"]
    props.setdefault("RetentionInDays", 90)
    props.setdefault("SamplingPercentage", 100)
    props["provisioningState"] = "Succeeded"


def identity_resource_fill(ctx, obj, existing):
    keep = existing["properties"] if existing else {}
    obj["properties"] = {"clientId": keep.get("clientId") or str(uuid.uuid4()),
                         "principalId": keep.get("principalId") or str(uuid.uuid4()),
                         "tenantId": "00000000-0000-0000-0000-00000000a2e0"}


AKS_SIZES = {"standard_d2s_v3", "standard_d4s_v3", "standard_d8s_v5", "standard_nc4as_t4_v3", "standard_nc8as_t4_v3",
             "standard_nc24ads_a100_v4", "standard_nc48ads_a100_v4", "standard_nc96ads_a100_v4", "standard_nd96asr_v4",
             "standard_nd96isr_h100_v5", "standard_nc6s_v3", "standard_nv36ads_a10_v5"}
MIG_SIZES = {"standard_nc24ads_a100_v4", "standard_nc48ads_a100_v4", "standard_nc96ads_a100_v4",
             "standard_nd96asr_v4", "standard_nd96isr_h100_v5"}


def check_pool_props(props, existing=None, where="properties"):
    schema.check_table(schema.AGENT_POOL_PROPERTIES, props, where + ".", True)
    size = props["vmSize"].lower()
    if size not in AKS_SIZES:
        raise err(400, "InvalidParameter", f"The VM size of {props['vmSize']} is not allowed in your subscription in location.")
    if props.get("gpuInstanceProfile") and size not in MIG_SIZES:
        raise err(400, "InvalidParameter", f"GPU instance profile {props['gpuInstanceProfile']} is not supported for VM size {props['vmSize']}.")
    if existing is not None:
        for k in ("vmSize", "gpuInstanceProfile", "availabilityZones", "osType", "scaleSetPriority"):
            # Unsent properties keep their value; a different one sent is a change.
            if props.get(k) is not None and props.get(k) != existing.get(k):
                raise err(400, "PropertyChangeNotAllowed", f"Changing property '{k}' is not allowed.")
    if props.get("enableAutoScaling") and props.get("minCount", 0) > props.get("maxCount", 0):
        raise err(400, "InvalidParameter", "minCount must be less than or equal to maxCount.")


def pool_defaults(props):
    props.setdefault("mode", "User")
    props.setdefault("osType", "Linux")
    props.setdefault("type", "VirtualMachineScaleSets")
    props.setdefault("osDiskSizeGB", 128)
    props.setdefault("maxPods", 30)
    props.setdefault("scaleSetPriority", "Regular")
    props.setdefault("count", 1)
    props["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202411.12.0"


def cluster_put(ctx, body, existing):
    pools = (body.get("properties") or {}).get("agentPoolProfiles") or []
    if not any((p.get("mode") == "System") for p in pools):
        raise err(400, "InvalidParameter", "A managed cluster needs at least one System mode agent pool.")
    old = {p["name"]: p for p in ((existing or {}).get("properties", {}).get("agentPoolProfiles") or [])}
    for i, p in enumerate(pools):
        if not p.get("name"):
            raise Invalid("InvalidRequestContent", "agentPoolProfiles[].name is required.", f"properties.agentPoolProfiles[{i}].name")
        check_pool_props({k: v for k, v in p.items()}, old.get(p["name"]), f"properties.agentPoolProfiles[{i}]")


def cluster_fill(ctx, obj, existing):
    props = obj["properties"]
    loc = obj.get("location", "eastus")
    rg = ctx["p"]["rg"]
    props.setdefault("kubernetesVersion", "1.30.6")
    props["currentKubernetesVersion"] = props["kubernetesVersion"]
    props["fqdn"] = f"{props['dnsPrefix']}-{uuid.uuid5(uuid.NAMESPACE_URL, obj['id']).hex[:8]}.hcp.{loc}.azmk8s.io"
    props["nodeResourceGroup"] = f"MC_{rg}_{obj['name']}_{loc}"
    props.setdefault("networkProfile", {"networkPlugin": "kubenet"})
    props["networkProfile"].setdefault("serviceCidr", "10.0.0.0/16")
    props["networkProfile"].setdefault("dnsServiceIP", "10.0.0.10")
    props["networkProfile"].setdefault("loadBalancerSku", "standard")
    if (props.get("oidcIssuerProfile") or {}).get("enabled"):
        props["oidcIssuerProfile"]["issuerURL"] = f"https://{loc}.oic.prod-aks.azure.com/{obj['id'].split('/')[2]}/{obj['name']}/"
    for p in props["agentPoolProfiles"]:
        pool_defaults(p)
    obj.setdefault("sku", {"name": "Base", "tier": "Free"})
    identity_fill(obj)


def agent_pool_put(ctx, body, existing):
    check_pool_props(body.get("properties") or {}, (existing or {}).get("properties"))


def agent_pool_fill(ctx, obj, existing):
    pool_defaults(obj["properties"])
    obj.pop("location", None)


OPENAI_MODELS = {"gpt-4o": ["2024-08-06", "2024-11-20"], "gpt-4o-mini": ["2024-07-18"],
                 "text-embedding-3-large": ["1"], "text-embedding-3-small": ["1"]}


def cognitive_put(ctx, body, existing):
    name = ctx["p"]["names"][0]
    sub = (body.get("properties") or {}).get("customSubDomainName")
    if body.get("kind") == "OpenAI" and not sub and existing is None:
        pass  # Azure names the endpoint after the region; a subdomain is optional
    if existing is not None and body.get("kind") and body["kind"] != existing.get("kind"):
        raise err(400, "BadRequest", "The kind of an account cannot be changed.")
    if sub and not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", sub):
        raise err(400, "InvalidSubdomainName", f"{sub} is not a valid subdomain name.")


def cognitive_fill(ctx, obj, existing):
    props = obj["properties"]
    sub = props.get("customSubDomainName")
    loc = obj.get("location", "eastus")
    if obj.get("kind") == "OpenAI":
        props["endpoint"] = f"https://{sub or loc}.openai.azure.com/"
    else:
        props["endpoint"] = f"https://{sub}.cognitiveservices.azure.com/" if sub else f"https://{loc}.api.cognitive.microsoft.com/"
    props.setdefault("publicNetworkAccess", "Enabled")
    props.setdefault("disableLocalAuth", False)
    identity_fill(obj)


def cognitive_keys(ctx, obj):
    seed = uuid.uuid5(uuid.NAMESPACE_URL, obj["id"]).hex
    return 200, {"key1": seed, "key2": seed[::-1]}, []


def cognitive_deployment_put(ctx, body, existing):
    account = ctx["state"].objects.get("/".join(ctx["p"]["id"].split("/")[:-2]).lower())
    if account is not None and account.get("kind") != "OpenAI" and account.get("kind") != "AIServices":
        raise err(400, "BadRequest", f"Model deployments need an OpenAI or AIServices account, not {account.get('kind')}.")
    model = (body.get("properties") or {}).get("model") or {}
    versions = OPENAI_MODELS.get(model.get("name"))
    if versions is None:
        raise err(400, "DeploymentModelNotSupported", f"The model '{model.get('name')}' is not supported.")
    if model.get("version") and model["version"] not in versions:
        raise err(400, "DeploymentModelNotSupported", f"Version {model['version']} of {model['name']} is not available.")
    if int((body.get("sku") or {}).get("capacity", 1)) > 1000:
        raise err(400, "InsufficientQuota", "This operation require 1001 new capacity in quota Tokens Per Minute (thousands), "
                                            "which is bigger than the current available capacity 1000.")
    if existing is not None:
        old = existing["properties"]["model"]
        if model.get("name") != old.get("name") or model.get("format") != old.get("format"):
            raise err(400, "BadRequest", "The model of a deployment cannot be changed; create a new deployment.")


def cognitive_deployment_fill(ctx, obj, existing):
    model = obj["properties"]["model"]
    model.setdefault("version", OPENAI_MODELS[model["name"]][-1])
    obj["properties"].setdefault("raiPolicyName", "Microsoft.DefaultV2")
    obj["properties"].setdefault("versionUpgradeOption", "OnceNewDefaultVersionAvailable")


def vnet_fill(ctx, obj, existing):
    obj["properties"]["resourceGuid"] = (existing or {}).get("properties", {}).get("resourceGuid") or str(uuid.uuid4())
    obj["properties"].pop("subnets", None)
    obj["properties"].setdefault("dhcpOptions", {"dnsServers": []})


def subnet_fill(ctx, obj, existing):
    props = obj["properties"]
    if "addressPrefix" in props and "addressPrefixes" not in props:
        props["addressPrefixes"] = [props.pop("addressPrefix")]
    props.setdefault("privateEndpointNetworkPolicies", "Disabled")
    props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
    props.setdefault("serviceEndpoints", [])


def refs_to(state, rid, finder):
    return [o for o in state.objects.values() if finder(o, rid.lower())]


def subnet_delete(ctx, obj):
    users = refs_to(ctx["state"], obj["id"], lambda o, r: any(
        (c.get("properties", {}).get("subnet") or {}).get("id", "").lower() == r
        for c in (o.get("properties", {}).get("ipConfigurations") or [])))
    if users:
        raise err(400, "InUseSubnetCannotBeDeleted",
                  f"Subnet {obj['name']} is in use by {users[0]['id']} and cannot be deleted.")


def nic_put(ctx, body, existing):
    for c in (body.get("properties") or {}).get("ipConfigurations") or []:
        sid = ((c.get("properties") or {}).get("subnet") or {}).get("id")
        if sid and sid.lower() not in ctx["state"].objects:
            raise err(400, "InvalidResourceReference", f"Resource {sid} referenced by resource {ctx['p']['id']} was not found.")


def nic_fill(ctx, obj, existing):
    props = obj["properties"]
    for i, c in enumerate(props["ipConfigurations"]):
        cp = c.setdefault("properties", {})
        if cp.get("privateIPAllocationMethod") != "Static" or not cp.get("privateIPAddress"):
            cp["privateIPAddress"] = f"10.0.{len(ctx['state'].objects) % 250}.{4 + i}"
        cp.setdefault("primary", i == 0)
        c["id"] = f"{obj['id']}/ipConfigurations/{c['name']}"
    props["macAddress"] = "00-0D-3A-" + uuid.uuid5(uuid.NAMESPACE_URL, obj["id"]).hex[:6].upper()
    if existing and existing["properties"].get("virtualMachine"):
        props["virtualMachine"] = existing["properties"]["virtualMachine"]
    props.setdefault("dnsSettings", {"dnsServers": []})


def nic_delete(ctx, obj):
    vm = obj["properties"].get("virtualMachine")
    if vm:
        raise err(400, "NicInUse", f"Network Interface {obj['id']} is used by existing resource {vm['id']}. "
                                   "In order to delete the network interface, it must be dissociated from the resource.")


VM_SIZES = {"standard_nc24ads_a100_v4", "standard_nc4as_t4_v3", "standard_nc8as_t4_v3", "standard_nd96isr_h100_v5",
            "standard_nd96asr_v4", "standard_nv36ads_a10_v5", "standard_d4s_v3", "standard_b2s"}
IMAGES = {("microsoft-dsvm", "ubuntu-hpc"), ("microsoft-dsvm", "ubuntu-2004"), ("canonical", "ubuntu-24_04-lts"),
          ("canonical", "0001-com-ubuntu-server-jammy")}


def vm_put(ctx, body, existing):
    props = body.get("properties") or {}
    size = props["hardwareProfile"]["vmSize"]
    if size.lower() not in VM_SIZES:
        raise err(409, "SkuNotAvailable", f"The requested VM size {size} is not available in the current region.")
    img = (props.get("storageProfile") or {}).get("imageReference") or {}
    if img and (img.get("publisher", "").lower(), img.get("offer", "").lower()) not in IMAGES:
        raise err(404, "PlatformImageNotFound", f"The platform image '{img.get('publisher')}:{img.get('offer')}:"
                                                f"{img.get('sku')}:{img.get('version')}' is not available.")
    if existing is not None:
        old = existing["properties"]["storageProfile"].get("imageReference")
        keys = ("publisher", "offer", "sku", "version")
        if img and old and any(str(img.get(k)).lower() != str(old.get(k)).lower() for k in keys):
            raise err(409, "PropertyChangeNotAllowed", "Changing property 'imageReference' is not allowed.")
    for n in (props.get("networkProfile") or {}).get("networkInterfaces") or []:
        nic = ctx["state"].objects.get(n["id"].lower())
        if nic is None:
            raise err(400, "InvalidResourceReference", f"Resource {n['id']} was not found.")
        owner = nic["properties"].get("virtualMachine")
        if owner and owner["id"].lower() != ctx["p"]["id"].lower():
            raise err(400, "NicInUse", f"Network interface {n['id']} is attached to {owner['id']}.")


def vm_fill(ctx, obj, existing):
    props = obj["properties"]
    props["vmId"] = (existing or {}).get("properties", {}).get("vmId") or str(uuid.uuid4())
    disk = props["storageProfile"]["osDisk"]
    disk.setdefault("name", f"{obj['name']}_OsDisk_1_{uuid.uuid5(uuid.NAMESPACE_URL, obj['id']).hex[:12]}")
    disk.setdefault("diskSizeGB", 64)
    if "imageReference" in props["storageProfile"]:
        props["storageProfile"]["imageReference"].setdefault("exactVersion", "24.11.20")
    props["osProfile"].pop("adminPassword", None)
    props["osProfile"].pop("customData", None)
    props.setdefault("priority", "Regular")
    for n in props["networkProfile"]["networkInterfaces"]:
        ctx["state"].objects[n["id"].lower()]["properties"]["virtualMachine"] = {"id": obj["id"]}
    identity_fill(obj)


def vm_delete(ctx, obj):
    for n in obj["properties"]["networkProfile"]["networkInterfaces"]:
        nic = ctx["state"].objects.get(n["id"].lower())
        if nic:
            nic["properties"].pop("virtualMachine", None)


ML_VERSIONS = ["2025-12-01", "2025-06-01", "2024-10-01"]

NET_VERSIONS = ["2024-05-01", "2024-03-01", "2023-11-01"]

TYPES = {
    "microsoft.network/virtualnetworks": {
        "arm_type": "Microsoft.Network/virtualNetworks", "api_versions": NET_VERSIONS,
        "check": lambda b, c: schema.check_table(schema.VNET, b, "", c), "fill": vnet_fill, "lro": "async",
    },
    "microsoft.network/virtualnetworks/subnets": {
        "arm_type": "Microsoft.Network/virtualNetworks/subnets", "api_versions": NET_VERSIONS,
        "check": lambda b, c: schema.check_table(schema.SUBNET, b, "", c), "fill": subnet_fill,
        "on_delete": subnet_delete, "lro": "async",
    },
    "microsoft.network/networkinterfaces": {
        "arm_type": "Microsoft.Network/networkInterfaces", "api_versions": NET_VERSIONS,
        "check": lambda b, c: schema.check_table(schema.NIC, b, "", c), "on_put": nic_put, "fill": nic_fill,
        "on_delete": nic_delete, "lro": "async",
    },
    "microsoft.compute/virtualmachines": {
        "arm_type": "Microsoft.Compute/virtualMachines", "api_versions": ["2024-07-01", "2024-03-01"],
        "check": lambda b, c: schema.check_table(schema.VM, b, "", c), "on_put": vm_put, "fill": vm_fill,
        "on_delete": vm_delete, "lro": "async",
    },
    "microsoft.cognitiveservices/accounts": {
        "arm_type": "Microsoft.CognitiveServices/accounts", "api_versions": ["2024-10-01", "2023-05-01"],
        "check": lambda b, c: schema.check_table(schema.COGNITIVE_ACCOUNT, b, "", c),
        "check_patch": lambda b: schema.check_table(schema.COGNITIVE_ACCOUNT, b, "", False),
        "on_put": cognitive_put, "fill": cognitive_fill, "lro": "async", "actions": {"listkeys": cognitive_keys},
    },
    "microsoft.cognitiveservices/accounts/deployments": {
        "arm_type": "Microsoft.CognitiveServices/accounts/deployments", "api_versions": ["2024-10-01", "2023-05-01"],
        "check": lambda b, c: schema.check_table(schema.COGNITIVE_DEPLOYMENT, b, "", c),
        "on_put": cognitive_deployment_put, "fill": cognitive_deployment_fill, "lro": "async",
    },
    "microsoft.containerservice/managedclusters": {
        "arm_type": "Microsoft.ContainerService/managedClusters", "api_versions": ["2024-09-01", "2024-05-01"],
        "check": lambda b, c: schema.check_table(schema.MANAGED_CLUSTER, b, "", c),
        "on_put": cluster_put, "fill": cluster_fill, "lro": "async",
    },
    "microsoft.containerservice/managedclusters/agentpools": {
        "arm_type": "Microsoft.ContainerService/managedClusters/agentPools", "api_versions": ["2024-09-01", "2024-05-01"],
        "check": lambda b, c: schema.check_table(schema.AGENT_POOL, b, "", c),
        "on_put": agent_pool_put, "fill": agent_pool_fill, "lro": "async",
    },
    "microsoft.keyvault/vaults": {
        "arm_type": "Microsoft.KeyVault/vaults", "api_versions": ["2023-07-01", "2022-07-01"],
        "check": lambda b, c: schema.check_table(schema.KEY_VAULT, b, "", c),
        "check_patch": lambda b: schema.check_table(schema.KEY_VAULT, b, "", False),
        "on_put": vault_put, "fill": vault_fill, "on_patch": vault_patch, "lro": None,
    },
    "microsoft.insights/components": {
        "arm_type": "microsoft.insights/components", "api_versions": ["2020-02-02"],
        "check": lambda b, c: schema.check_table(schema.APP_INSIGHTS, b, "", c),
        "fill": component_fill, "lro": None, "provisioning": False,
    },
    "microsoft.managedidentity/userassignedidentities": {
        "arm_type": "Microsoft.ManagedIdentity/userAssignedIdentities", "api_versions": ["2023-01-31", "2018-11-30"],
        "check": lambda b, c: schema.check_table(schema.USER_IDENTITY, b, "", c),
        "check_patch": lambda b: schema.check_table(schema.USER_IDENTITY, b, "", False),
        "fill": identity_resource_fill, "lro": None, "provisioning": False,
    },
    "microsoft.resources/resourcegroups": {
        "arm_type": "Microsoft.Resources/resourceGroups", "api_versions": ["2022-09-01", "2021-04-01", "2020-06-01"],
        "check": lambda b, c: schema.check_table(schema.RESOURCE_GROUP, b, "", c),
        "fill": rg_fill, "lro": None, "delete_lro": "location",
    },
    "microsoft.storage/storageaccounts": {
        "arm_type": "Microsoft.Storage/storageAccounts", "api_versions": ["2023-05-01", "2023-01-01", "2022-09-01"],
        "check": lambda b, c: schema.check_table(schema.STORAGE_ACCOUNT, b, "", c),
        "check_patch": lambda b: schema.check_table(schema.STORAGE_ACCOUNT, b, "", False),
        "on_put": storage_put, "fill": storage_fill, "lro": "location", "delete_lro": None,
        "actions": {"listkeys": list_keys},
    },
    "microsoft.machinelearningservices/workspaces": {
        "arm_type": "Microsoft.MachineLearningServices/workspaces", "api_versions": ML_VERSIONS,
        "check": ml_check(ML.Workspace),
        "check_patch": lambda b: schema.check_model(ML.WorkspaceUpdateParameters, b, "", False),
        "on_put": workspace_put, "fill": workspace_fill, "lro": "async",
    },
    "microsoft.machinelearningservices/workspaces/computes": {
        "arm_type": "Microsoft.MachineLearningServices/workspaces/computes", "api_versions": ML_VERSIONS,
        "check": ml_check(ML.ComputeResource), "check_patch": compute_patch_check, "on_patch": compute_patch,
        "on_put": compute_put, "fill": compute_fill, "lro": "async",
    },
    "microsoft.machinelearningservices/workspaces/onlineendpoints": {
        "arm_type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints", "api_versions": ML_VERSIONS,
        "check": ml_check(ML.OnlineEndpoint), "check_patch": endpoint_patch_check,
        "on_put": endpoint_put, "fill": endpoint_fill, "lro": "async",
    },
    "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": {
        "arm_type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        "api_versions": ML_VERSIONS, "check": ml_check(ML.OnlineDeployment),
        "check_patch": deployment_patch_check, "on_put": deployment_put, "fill": deployment_fill,
        "on_delete": deployment_delete, "lro": "async",
    },
}

__all__ = ["TYPES", "Invalid"]

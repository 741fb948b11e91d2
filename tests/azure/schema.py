"""Request-body checks for the ARM test server, from the published contracts.

Azure ML types are checked against the models PyPI `azure-ai-ml` bundles for the
2025-12-01 management API (`azure.ai.ml._restclient.arm_ml_service.models`): field names
(their REST names), read-only fields (visibility ["read"]), required fields (annotations
without Optional), JSON types, enum values, and polymorphic types by discriminator
(`computeType`, `endpointComputeType`, `scaleType`). Types outside Azure ML are described by
small tables below, taken from the azure-rest-api-specs documents of the api-versions served.
"""

import enum
import sys
import typing

from azure.ai.ml._restclient.arm_ml_service import models as ML
from azure.ai.ml._restclient.arm_ml_service._utils import model_base


class ArmError(Exception):
    """An ARM error answer: {"error": {"code", "message", "target"}} with its HTTP status."""

    def __init__(self, status, code, message, target=None, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.target, self.headers = status, code, message, target, headers

    def body(self):
        e = {"code": self.code, "message": self.message}
        if self.target:
            e["target"] = self.target
        return {"error": e}


class Invalid(Exception):
    def __init__(self, code, message, target=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.target = target


def _fields(cls):
    try:
        cls()
    except Exception:  # noqa: BLE001 - building one fills the class's field table
        pass
    return getattr(cls, "_attr_to_rest_field", {})


def _hints(cls):
    ns = dict(vars(sys.modules[cls.__module__]))
    ns["_models"] = ML
    out = {}
    for klass in reversed(cls.__mro__):
        for k, v in getattr(klass, "__annotations__", {}).items():
            out[k] = v
    resolved = {}
    for k, v in out.items():
        try:
            resolved[k] = eval(v, ns) if isinstance(v, str) else v  # noqa: S307 - the SDK's own annotations
        except Exception:  # noqa: BLE001
            resolved[k] = typing.Any
    return resolved


def _optional(t):
    return typing.get_origin(t) is typing.Union and type(None) in typing.get_args(t)


def _strip_optional(t):
    if _optional(t):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]
    return t


def _discriminated(cls, body):
    mapping = getattr(cls, "__mapping__", None)
    if not mapping or not isinstance(body, dict):
        return cls
    for attr, f in _fields(cls).items():
        if getattr(f, "_is_discriminator", False):
            value = body.get(f._rest_name)
            if value is None:
                return cls
            for k, sub in mapping.items():
                if k.lower() == str(value).lower():
                    return sub
            raise Invalid("InvalidRequestContent", f"Unknown {f._rest_name} {value!r}.", f._rest_name)
    return cls


def check_model(cls, body, path, creating):
    """Checks `body` against ML model `cls`; `creating` requires required fields."""
    if not isinstance(body, dict):
        raise Invalid("InvalidRequestContent", f"{path or 'body'} must be an object.", path)
    cls = _discriminated(cls, body)
    fields = _fields(cls)
    hints = _hints(cls)
    by_rest = {f._rest_name: (attr, f) for attr, f in fields.items()}
    for key, value in body.items():
        if key not in by_rest:
            raise Invalid("InvalidRequestContent",
                          f"The request content was invalid: unknown property '{path}{key}' "
                          f"for {cls.__name__}.", f"{path}{key}")
        attr, f = by_rest[key]
        if f._visibility == ["read"]:
            raise Invalid("InvalidRequestContent",
                          f"The property '{path}{key}' is read-only and cannot be set.", f"{path}{key}")
        if value is None:
            continue
        check_type(hints.get(attr, typing.Any), value, f"{path}{key}", creating)
    if creating:
        for attr, f in fields.items():
            t = hints.get(attr)
            if f._visibility == ["read"] or t is None or _optional(t) or getattr(f, "_is_discriminator", False):
                continue
            if f._rest_name not in body:
                raise Invalid("InvalidRequestContent",
                              f"The request content was invalid: missing required property "
                              f"'{path}{f._rest_name}'.", f"{path}{f._rest_name}")


def check_type(t, value, path, creating):
    t = _strip_optional(t)
    origin = typing.get_origin(t)
    if t is typing.Any:
        return
    if isinstance(t, type) and issubclass(t, model_base.Model):
        return check_model(t, value, path + ".", creating)
    if origin is typing.Union:
        args = typing.get_args(t)
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and isinstance(value, str):
            allowed = {str(m.value).lower() for e in enums for m in e}
            if value.lower() not in allowed:
                raise Invalid("InvalidRequestContent",
                              f"The value '{value}' is not valid for '{path}'; allowed: "
                              f"{', '.join(sorted(str(m.value) for e in enums for m in e))}.", path)
            return
        for a in args:
            try:
                return check_type(a, value, path, creating)
            except Invalid:
                continue
        raise Invalid("InvalidRequestContent", f"'{path}' has the wrong type.", path)
    if origin in (dict,):
        if not isinstance(value, dict):
            raise Invalid("InvalidRequestContent", f"'{path}' must be an object.", path)
        vt = typing.get_args(t)[1] if typing.get_args(t) else typing.Any
        for k, v in value.items():
            if v is not None:
                check_type(vt, v, f"{path}.{k}", creating)
        return
    if origin in (list,):
        if not isinstance(value, list):
            raise Invalid("InvalidRequestContent", f"'{path}' must be an array.", path)
        it = typing.get_args(t)[0] if typing.get_args(t) else typing.Any
        for i, v in enumerate(value):
            check_type(it, v, f"{path}[{i}]", creating)
        return
    simple = {str: str, int: int, float: (int, float), bool: bool}
    if t in simple:
        ok = isinstance(value, simple[t]) and not (t is int and isinstance(value, bool))
        if not ok:
            raise Invalid("InvalidRequestContent",
                          f"Error converting value {value!r} to type '{t.__name__}'. Path '{path}'.", path)


# --- types outside Azure ML: {field: spec}; spec = "string" | "int" | "bool" | "object" |
#     "array" | ("enum", [...]) | {nested} ; "!" prefix on a key = required, "~" = read-only.

STORAGE_ACCOUNT = {
    "!location": "string", "tags": "object", "!kind": ("enum", ["Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"]),
    "!sku": {"!name": ("enum", ["Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS"]), "~tier": "string"},
    "identity": "object", "~id": "string", "~name": "string", "~type": "string",
    "properties": {
        "accessTier": ("enum", ["Hot", "Cool", "Cold", "Premium"]), "supportsHttpsTrafficOnly": "bool",
        "minimumTlsVersion": ("enum", ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]), "allowBlobPublicAccess": "bool",
        "isHnsEnabled": "bool", "publicNetworkAccess": ("enum", ["Enabled", "Disabled", "SecuredByPerimeter"]),
        "allowSharedKeyAccess": "bool", "networkAcls": "object", "encryption": "object",
        "~provisioningState": "string", "~primaryEndpoints": "object", "~primaryLocation": "string",
        "~statusOfPrimary": "string", "~creationTime": "string",
    },
}

RESOURCE_GROUP = {"!location": "string", "tags": "object", "managedBy": "string", "~id": "string",
                  "~name": "string", "~type": "string", "~properties": "object"}


def check_table(spec, body, path, creating):
    if not isinstance(body, dict):
        raise Invalid("InvalidRequestContent", f"'{path or 'body'}' must be an object.", path)
    fields = {k.lstrip("!~"): (k, v) for k, v in spec.items()}
    for key, value in body.items():
        if key not in fields:
            raise Invalid("InvalidRequestContent",
                          f"The request content was invalid: unknown property '{path}{key}'.", f"{path}{key}")
        raw, kind = fields[key]
        if raw.startswith("~"):
            raise Invalid("InvalidRequestContent",
                          f"The property '{path}{key}' is read-only and cannot be set.", f"{path}{key}")
        if value is None:
            continue
        p = f"{path}{key}"
        if isinstance(kind, dict):
            check_table(kind, value, p + ".", creating)
        elif isinstance(kind, tuple):
            if value not in kind[1]:
                raise Invalid("InvalidRequestContent",
                              f"The value '{value}' is not valid for '{p}'; allowed: {', '.join(kind[1])}.", p)
        else:
            py = {"string": str, "int": int, "bool": bool, "object": dict, "array": list,
                  "number": (int, float)}[kind]
            if not isinstance(value, py) or (py is int and isinstance(value, bool)):
                raise Invalid("InvalidRequestContent", f"'{p}' must be of type {kind}.", p)
    if creating:
        for k, (raw, _) in fields.items():
            if raw.startswith("!") and k not in body:
                raise Invalid("InvalidRequestContent",
                              f"The request content was invalid: missing required property '{path}{k}'.", f"{path}{k}")

KEY_VAULT = {
    "!location": "string", "tags": "object", "~id": "string", "~name": "string", "~type": "string",
    "properties": {
        "!tenantId": "string", "!sku": {"!family": ("enum", ["A"]), "!name": ("enum", ["standard", "premium"])},
        "accessPolicies": "array", "enabledForDeployment": "bool", "enabledForDiskEncryption": "bool",
        "enabledForTemplateDeployment": "bool", "enableRbacAuthorization": "bool", "enableSoftDelete": "bool",
        "softDeleteRetentionInDays": "int", "enablePurgeProtection": "bool", "networkAcls": "object",
        "publicNetworkAccess": ("enum", ["Enabled", "Disabled"]), "createMode": ("enum", ["default", "recover"]),
        "~vaultUri": "string", "~provisioningState": "string", "~hsmPoolResourceId": "string",
    },
}

APP_INSIGHTS = {
    "!location": "string", "!kind": "string", "tags": "object", "etag": "string",
    "~id": "string", "~name": "string", "~type": "string",
    "properties": {
        "!Application_Type": ("enum", ["web", "other", "java", "ios", "Node.JS", "store", "phone", "MobileCenter"]),
        "WorkspaceResourceId": "string", "RetentionInDays": "int", "SamplingPercentage": "number",
        "DisableIpMasking": "bool", "DisableLocalAuth": "bool", "Flow_Type": "string", "Request_Source": "string",
        "IngestionMode": "string", "ForceCustomerStorageForProfiler": "bool",
        "publicNetworkAccessForIngestion": ("enum", ["Enabled", "Disabled"]),
        "publicNetworkAccessForQuery": ("enum", ["Enabled", "Disabled"]),
        "~AppId": "string", "~ApplicationId": "string", "~InstrumentationKey": "string", "~ConnectionString": "string",
        "~CreationDate": "string", "~TenantId": "string", "~provisioningState": "string", "~Name": "string",
        "~DailyDataCapInGb": "number",
    },
}

USER_IDENTITY = {"!location": "string", "tags": "object", "~id": "string", "~name": "string", "~type": "string",
                 "~properties": "object"}

MANAGED_CLUSTER = {
    "!location": "string", "tags": "object", "identity": "object", "~id": "string", "~name": "string", "~type": "string",
    "sku": {"name": ("enum", ["Base", "Automatic"]), "tier": ("enum", ["Free", "Standard", "Premium"])},
    "properties": {
        "kubernetesVersion": "string", "!dnsPrefix": "string", "!agentPoolProfiles": "array", "networkProfile": "object",
        "oidcIssuerProfile": "object", "securityProfile": "object", "apiServerAccessProfile": "object",
        "enableRBAC": "bool", "addonProfiles": "object", "aadProfile": "object", "autoUpgradeProfile": "object",
        "~fqdn": "string", "~nodeResourceGroup": "string", "~currentKubernetesVersion": "string",
        "~provisioningState": "string", "~powerState": "object", "~maxAgentPools": "int", "~azurePortalFQDN": "string",
        "~identityProfile": "object",
    },
}

AGENT_POOL_PROPERTIES = {
    "count": "int", "!vmSize": "string", "mode": ("enum", ["System", "User", "Gateway"]),
    "type": ("enum", ["VirtualMachineScaleSets", "AvailabilitySet", "VirtualMachines"]), "enableAutoScaling": "bool",
    "minCount": "int", "maxCount": "int", "nodeLabels": "object", "nodeTaints": "array",
    "gpuInstanceProfile": ("enum", ["MIG1g", "MIG2g", "MIG3g", "MIG4g", "MIG7g"]), "availabilityZones": "array",
    "osDiskSizeGB": "int", "osType": ("enum", ["Linux", "Windows"]), "scaleSetPriority": ("enum", ["Regular", "Spot"]),
    "scaleSetEvictionPolicy": ("enum", ["Delete", "Deallocate"]), "spotMaxPrice": "number", "vnetSubnetID": "string",
    "maxPods": "int", "tags": "object", "orchestratorVersion": "string", "name": "string", "gpuProfile": "object",
    "~provisioningState": "string", "~nodeImageVersion": "string", "~currentOrchestratorVersion": "string",
    "~powerState": "object",
}

AGENT_POOL = {"~id": "string", "~name": "string", "~type": "string", "!properties": AGENT_POOL_PROPERTIES}

COGNITIVE_ACCOUNT = {
    "!location": "string", "!kind": ("enum", ["OpenAI", "ComputerVision", "TextTranslation", "SpeechServices",
                                             "CognitiveServices", "AIServices", "FormRecognizer", "TextAnalytics"]),
    "!sku": {"!name": ("enum", ["F0", "S0", "S1", "S"]), "tier": "string", "capacity": "int"},
    "tags": "object", "identity": "object", "~id": "string", "~name": "string", "~type": "string", "~etag": "string",
    "properties": {"customSubDomainName": "string", "publicNetworkAccess": ("enum", ["Enabled", "Disabled"]),
                   "disableLocalAuth": "bool", "networkAcls": "object", "restrictOutboundNetworkAccess": "bool",
                   "~endpoint": "string", "~endpoints": "object", "~provisioningState": "string",
                   "~capabilities": "array", "~dateCreated": "string"},
}

COGNITIVE_DEPLOYMENT = {
    "~id": "string", "~name": "string", "~type": "string",
    "!sku": {"!name": ("enum", ["Standard", "GlobalStandard", "ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneStandard"]),
             "capacity": "int"},
    "!properties": {"!model": {"!format": ("enum", ["OpenAI"]), "!name": "string", "version": "string", "source": "string"},
                    "raiPolicyName": "string",
                    "versionUpgradeOption": ("enum", ["OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade"]),
                    "~provisioningState": "string", "~capabilities": "object", "~rateLimits": "array"},
}

VNET = {
    "!location": "string", "tags": "object", "~id": "string", "~name": "string", "~type": "string", "~etag": "string",
    "properties": {"!addressSpace": {"addressPrefixes": "array"}, "dhcpOptions": {"dnsServers": "array"},
                   "subnets": "array", "enableDdosProtection": "bool",
                   "~provisioningState": "string", "~resourceGuid": "string"},
}

SUBNET = {
    "~id": "string", "~name": "string", "~type": "string", "~etag": "string",
    "properties": {"addressPrefixes": "array", "addressPrefix": "string", "serviceEndpoints": "array",
                   "privateEndpointNetworkPolicies": ("enum", ["Enabled", "Disabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"]),
                   "privateLinkServiceNetworkPolicies": ("enum", ["Enabled", "Disabled"]),
                   "defaultOutboundAccess": "bool", "networkSecurityGroup": "object", "delegations": "array",
                   "~provisioningState": "string", "~ipConfigurations": "array"},
}

NIC = {
    "!location": "string", "tags": "object", "~id": "string", "~name": "string", "~type": "string", "~etag": "string",
    "properties": {"!ipConfigurations": "array", "enableAcceleratedNetworking": "bool", "enableIPForwarding": "bool",
                   "dnsSettings": {"dnsServers": "array"}, "networkSecurityGroup": "object",
                   "~macAddress": "string", "~virtualMachine": "object", "~provisioningState": "string", "~primary": "bool"},
}

VM = {
    "!location": "string", "tags": "object", "zones": "array", "identity": "object", "plan": "object",
    "~id": "string", "~name": "string", "~type": "string",
    "properties": {"!hardwareProfile": {"!vmSize": "string"}, "!storageProfile": "object", "!osProfile": "object",
                   "!networkProfile": "object", "priority": ("enum", ["Regular", "Low", "Spot"]),
                   "evictionPolicy": ("enum", ["Deallocate", "Delete"]), "billingProfile": "object",
                   "diagnosticsProfile": "object", "securityProfile": "object",
                   "~vmId": "string", "~provisioningState": "string", "~instanceView": "object", "~timeCreated": "string"},
}

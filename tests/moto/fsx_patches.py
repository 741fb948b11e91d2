"""FSx for Lustre as AWS reports it, where moto 5.2 keeps only what it was given (imported by
gantry_moto.py). Test harness only; listed in the README's emulator table.

- CreateFileSystem is not idempotent on ClientRequestToken; file systems report no
  Lifecycle (AWS: CREATING, then AVAILABLE), VpcId, NetworkInterfaceIds, OwnerId, and a Lustre
  configuration without the MountName, WeeklyMaintenanceStartTime, DataCompressionType,
  LogConfiguration and backup settings AWS fills in.
- UpdateFileSystem is not implemented (storage capacity, maintenance window, compression,
  backups, per-unit throughput).
"""

import json
import random
import string
import threading

from moto.ec2.models import ec2_backends
from moto.fsx import models as fm
from moto.fsx import responses as fr

_lock = threading.Lock()


def _tokens(backend):
    return backend.__dict__.setdefault("_gantry_tokens", {})


def _complete(fs, backend):
    lustre = dict(fs.lustre_configuration or {})
    deployment = lustre.get("DeploymentType") or "SCRATCH_1"
    lustre["DeploymentType"] = deployment
    lustre.setdefault("WeeklyMaintenanceStartTime", "1:05:00")
    lustre.setdefault("DataCompressionType", "NONE")
    lustre.setdefault("LogConfiguration", {"Level": "DISABLED"})
    lustre["MountName"] = "fsx" if deployment == "SCRATCH_1" else "".join(
        random.choice(string.ascii_lowercase + string.digits) for _ in range(8)
    )
    lustre.setdefault("CopyTagsToBackups", False)
    if deployment.startswith("PERSISTENT"):
        lustre.setdefault("AutomaticBackupRetentionDays", 0)
    repo = {}
    for key in ("ImportPath", "ExportPath", "ImportedFileChunkSize", "AutoImportPolicy"):
        if key in lustre:
            repo[key] = lustre.pop(key)
    if repo:
        repo.setdefault("ImportedFileChunkSize", 1024)
        repo.setdefault("ExportPath", repo.get("ImportPath", "") + "/FSxLustre")
        repo.setdefault("AutoImportPolicy", "NONE")
        repo["Lifecycle"] = "AVAILABLE"
        lustre["DataRepositoryConfiguration"] = repo
    fs.lustre_configuration = lustre
    fs.storage_type = fs.storage_type or "SSD"
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    subnet = ec2.get_subnet(fs.subnet_ids[0])
    fs._gantry = {
        "Lifecycle": "CREATING",
        "VpcId": subnet.vpc_id,
        "OwnerId": backend.account_id,
        "NetworkInterfaceIds": ["eni-" + "".join(random.choice("0123456789abcdef") for _ in range(17))],
    }


_orig_to_dict = fm.FileSystem.to_dict


def _to_dict(self):
    out = _orig_to_dict(self)
    extra = getattr(self, "_gantry", None)
    if extra:
        out.update(extra)
        if extra["Lifecycle"] == "CREATING":
            extra["Lifecycle"] = "AVAILABLE"
    return out


fm.FileSystem.to_dict = _to_dict

_orig_create = fr.FSxResponse.create_file_system


def create_file_system(self):
    params = json.loads(self.body)
    token = params.get("ClientRequestToken")
    backend = self.fsx_backend
    with _lock:
        if token and token in _tokens(backend):
            fs = backend.file_systems.get(_tokens(backend)[token])
            if fs is not None:
                return json.dumps({"FileSystem": fs.to_dict()})
        out = json.loads(_orig_create(self))
        fs = backend.file_systems[out["FileSystem"]["FileSystemId"]]
        _complete(fs, backend)
        if token:
            _tokens(backend)[token] = fs.file_system_id
        return json.dumps({"FileSystem": fs.to_dict()})


def update_file_system(self):
    params = json.loads(self.body)
    backend = self.fsx_backend
    fs = backend.file_systems.get(params.get("FileSystemId"))
    if fs is None:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError("FileSystemNotFound", "File system not found")
    if params.get("StorageCapacity"):
        fs.storage_capacity = params["StorageCapacity"]
    for key, value in (params.get("LustreConfiguration") or {}).items():
        fs.lustre_configuration[key] = value
    return json.dumps({"FileSystem": fs.to_dict()})


fr.FSxResponse.create_file_system = create_file_system
fr.FSxResponse.update_file_system = update_file_system

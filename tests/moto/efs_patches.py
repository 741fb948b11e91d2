"""EFS behaviour real AWS has and moto 5.2 lacks (imported by gantry_moto.py). Test harness
only; listed in the README's emulator table.

- UpdateFileSystem (throughput mode, provisioned MiB/s) and UpdateFileSystemProtection are
  not implemented; file systems report no FileSystemProtection, where AWS reports
  ReplicationOverwriteProtection ENABLED for a new one.
"""

import json

from moto.efs import models as em
from moto.efs import responses as er
from moto.efs import urls as eu

_orig_init = em.FileSystem.__init__


def _init(self, *args, **kwargs):
    _orig_init(self, *args, **kwargs)
    # Public attribute: moto's info_json turns it into "FileSystemProtection".
    self.file_system_protection = {"ReplicationOverwriteProtection": "ENABLED"}


em.FileSystem.__init__ = _init


def _file_system(self):
    fs_id = self._get_param("FileSystemId") or self.path.rstrip("/").split("/")[3]
    _, found = self.efs_backend.describe_file_systems(file_system_id=fs_id)
    return found[0]


def update_file_system(self):
    fs = _file_system(self)
    mode = self._get_param("ThroughputMode")
    if mode:
        fs.throughput_mode = mode
    if mode == "provisioned" or self._get_param("ProvisionedThroughputInMibps") is not None:
        fs.provisioned_throughput_in_mibps = self._get_param("ProvisionedThroughputInMibps")
    if mode and mode != "provisioned":
        fs.provisioned_throughput_in_mibps = None
    return json.dumps(fs.info_json()), {"status": 202, "Content-Type": "application/json"}


def update_file_system_protection(self):
    fs = _file_system(self)
    setting = self._get_param("ReplicationOverwriteProtection")
    fs.file_system_protection = {"ReplicationOverwriteProtection": setting}
    return json.dumps(fs.file_system_protection), {"Content-Type": "application/json"}


er.EFSResponse.update_file_system = update_file_system
er.EFSResponse.update_file_system_protection = update_file_system_protection
eu.url_paths["/2015-02-01/file-systems/<file_system_id>/protection"] = eu.response.dispatch

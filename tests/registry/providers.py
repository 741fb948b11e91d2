"""Provider packages for the test registry: Terraform's provider registry protocol
(`providers.v1`: versions, download with SHA256SUMS and its detached OpenPGP signature) and the
provider network mirror protocol (`index.json`, `VERSION.json`), both serving the gantrytest
provider (tests/plugins/terraform-provider-gantrytest) packed as Terraform packs providers.

Providers (namespace `gantry`):
- `gantrytest` 1.0.0 and 1.1.0, for linux_amd64 and darwin_arm64, signed by the test key;
- `badsig`   1.0.0: SHA256SUMS signed by a key other than the one the registry names;
- `badsum`   1.0.0: the archive does not match the checksum the registry gives.
The network mirror (under /mirror/) serves registry.terraform.io/gantry/gantrytest with `h1:`
hashes, as `terraform providers mirror` writes them.
"""
import base64
import hashlib
import io
import json
import os
import subprocess
import zipfile

PLATFORMS = [("linux", "amd64"), ("darwin", "arm64")]
PROVIDER_EXE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "plugins", "terraform-provider-gantrytest"
)


def pack(ptype, version, platform):
    """A provider zip as Terraform's release tooling makes it: one executable, mode 0755.
    The archive comment names the platform, so each platform's archive has its own `zh:`
    hash while all share one `h1:` (the same contents)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.comment = platform.encode()
        info = zipfile.ZipInfo("terraform-provider-%s_v%s" % (ptype, version))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(PROVIDER_EXE, "rb") as f:
            z.writestr(info, f.read())
    return buf.getvalue()


def h1(zip_bytes):
    """Terraform's `h1:` hash: sha256 of the sorted "sha256  path" lines of the contents."""
    lines = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        for name in sorted(z.namelist()):
            lines.append("%s  %s\n" % (hashlib.sha256(z.read(name)).hexdigest(), name))
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


class Keys:
    """Two throwaway OpenPGP keys (RSA 2048) in DIR/gnupg, made with the system gpg."""

    def __init__(self, d):
        self.home = os.path.join(d, "gnupg")
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        self.ids = {}
        for name in ("release", "stranger"):
            self.gpg("--quick-gen-key", "--passphrase", "", "gantry %s <%s@example.test>" % (name, name),
                     "rsa2048", "sign", "never")
            out = self.gpg("--list-keys", "--with-colons", "%s@example.test" % name).decode()
            fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
            self.ids[name] = fpr

    def gpg(self, *args, data=None):
        return subprocess.run(
            ["gpg", "--homedir", self.home, "--batch", "--yes", "--pinentry-mode", "loopback", *args],
            input=data, check=True, capture_output=True,
        ).stdout

    def armor(self, name):
        return self.gpg("--armor", "--export", self.ids[name]).decode()

    def key_id(self, name):
        return self.ids[name][-16:].upper()

    def sign(self, name, data):
        return self.gpg("--local-user", self.ids[name], "--detach-sign", "--output", "-", data=data)


class Packages:
    def __init__(self, d):
        self.keys = Keys(d)
        self.files = {}  # URL path → (bytes, content type)
        self.providers = {}  # type → {version: {platform: download JSON}}
        for ptype, versions in (("gantrytest", ["1.0.0", "1.1.0"]), ("badsig", ["1.0.0"]),
                                ("badsum", ["1.0.0"])):
            self.providers[ptype] = {}
            for v in versions:
                self.release(ptype, v)
        self.mirror()

    def release(self, ptype, v):
        zips = {}
        for os_, arch in PLATFORMS:
            name = "terraform-provider-%s_%s_%s_%s.zip" % (ptype, v, os_, arch)
            zips[(os_, arch)] = (name, pack(ptype, v, os_ + "_" + arch))
        sums = "".join("%s  %s\n" % (hashlib.sha256(b).hexdigest(), n) for n, b in sorted(zips.values()))
        base = "/files/%s/%s/" % (ptype, v)
        sums_name = "terraform-provider-%s_%s_SHA256SUMS" % (ptype, v)
        signer = "stranger" if ptype == "badsig" else "release"
        self.files[base + sums_name] = (sums.encode(), "text/plain")
        self.files[base + sums_name + ".sig"] = (self.keys.sign(signer, sums.encode()), "application/octet-stream")
        self.providers[ptype][v] = {}
        for (os_, arch), (name, data) in zips.items():
            shasum = hashlib.sha256(data).hexdigest()
            if ptype == "badsum":
                data = data + b"tampered"
            self.files[base + name] = (data, "application/zip")
            self.providers[ptype][v]["%s_%s" % (os_, arch)] = {
                "protocols": ["6.0"],
                "os": os_,
                "arch": arch,
                "filename": name,
                "download_url": base + name,
                "shasums_url": base + sums_name,
                "shasums_signature_url": base + sums_name + ".sig",
                "shasum": shasum,
                "signing_keys": {"gpg_public_keys": [{
                    "key_id": self.keys.key_id("release"),
                    "ascii_armor": self.keys.armor("release"),
                    "trust_signature": "",
                    "source": "gantry",
                    "source_url": None,
                }]},
            }

    def mirror(self):
        base = "/mirror/registry.terraform.io/gantry/gantrytest/"
        versions = {}
        for v in ("1.0.0", "1.1.0"):
            versions[v] = {}
            archives = {}
            for os_, arch in PLATFORMS:
                name = "terraform-provider-gantrytest_%s_%s_%s.zip" % (v, os_, arch)
                data = pack("gantrytest", v, os_ + "_" + arch)
                self.files[base + name] = (data, "application/zip")
                archives["%s_%s" % (os_, arch)] = {"url": name, "hashes": [h1(data)]}
            self.files[base + v + ".json"] = (json.dumps({"archives": archives}).encode(), "application/json")
        self.files[base + "index.json"] = (json.dumps({"versions": versions}).encode(), "application/json")

    def route(self, path):
        """(status, body, content type) for a provider path, or None."""
        if path in self.files:
            data, ctype = self.files[path]
            return 200, data, ctype
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "providers", "gantry"] and len(parts) >= 5:
            ptype = parts[3]
            releases = self.providers.get(ptype)
            if releases is None:
                return 404, b'{"errors":["Not Found"]}', "application/json"
            if parts[4:] == ["versions"]:
                body = {"versions": [
                    {"version": v, "protocols": ["6.0"],
                     "platforms": [{"os": o, "arch": a} for o, a in PLATFORMS]}
                    for v in releases]}
                return 200, json.dumps(body).encode(), "application/json"
            if len(parts) == 8 and parts[5] == "download":
                meta = releases.get(parts[4], {}).get("%s_%s" % (parts[6], parts[7]))
                if meta is None:
                    return 404, b'{"errors":["Not Found"]}', "application/json"
                return 200, json.dumps(meta).encode(), "application/json"
        return None

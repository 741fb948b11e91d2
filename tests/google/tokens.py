"""Google's token endpoints, for credential tests: the OAuth token endpoint (`/oauth2/token`:
a service account's RS256 JWT assertion, checked against its registered public key, or an
authorized user's refresh token) and the metadata server's token
(`/computeMetadata/v1/instance/service-accounts/default/token`, which requires the
`Metadata-Flavor: Google` header). Tokens issued here are the only ones the API accepts
once `require_auth` is configured.
"""

import base64
import json
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


class Tokens:
    def __init__(self):
        self.require_auth = False
        self.service_accounts = {}  # email -> public key PEM
        self.refresh_tokens = {}  # refresh token -> client id
        self.issued = {}  # token -> subject
        self.log = []  # {"grant", "subject"}

    def configure(self, body):
        self.require_auth = bool(body.get("require_auth", self.require_auth))
        self.service_accounts.update(body.get("service_accounts", {}))
        self.refresh_tokens.update(body.get("refresh_tokens", {}))

    def issue(self, grant, subject):
        token = f"ya29.test-{len(self.issued) + 1}"
        self.issued[token] = subject
        self.log.append({"grant": grant, "subject": subject})
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def oauth(self, raw):
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.jwt(form.get("assertion", ""))
        if grant == "refresh_token":
            client = self.refresh_tokens.get(form.get("refresh_token"))
            if client is None or client != form.get("client_id") or not form.get("client_secret"):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            return self.issue("refresh_token", client)
        return 400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}

    def jwt(self, assertion):
        def b64(s):
            return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        try:
            head, claims, sig = assertion.split(".")
            header, body = json.loads(b64(head)), json.loads(b64(claims))
        except ValueError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
        pem = self.service_accounts.get(body.get("iss"))
        if pem is None or header.get("alg") != "RS256":
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        key = serialization.load_pem_public_key(pem.encode())
        try:
            key.verify(b64(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        now = time.time()
        if not (body.get("iat", 0) - 300 <= now <= body.get("exp", 0)) or "cloud-platform" not in body.get("scope", ""):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token"}
        return self.issue("jwt-bearer", body["iss"])

    def metadata(self, headers):
        if headers.get("Metadata-Flavor") != "Google":
            return 403, {"error": "Missing required header: Metadata-Flavor"}
        return self.issue("metadata", "default")

    def check(self, authorization):
        """None when the request may proceed, else the error to answer with."""
        if not self.require_auth:
            return None
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.issued:
            return "Request had invalid authentication credentials. Expected OAuth 2 access token."
        return None

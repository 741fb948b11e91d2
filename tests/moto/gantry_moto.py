#!/usr/bin/env python3
"""moto's own server, with the SageMaker behaviour real AWS has and moto 5.2 lacks.

This is test harness, not provider code: gantry's AWS provider never special-cases moto.
What is added (documented in the README's emulator table):

- UpdateEndpoint (moto answers HTTP 500): the endpoint goes to "Updating", then switches to
  the new configuration and returns to "InService".
- Realistic status transitions: a new endpoint reports "Creating" and an updated one
  "Updating" for the next TRANSITION_DESCRIBES DescribeEndpoint calls, then "InService".
  An endpoint whose name starts with "fail-" ends in "Failed" with a FailureReason.
- Duplicate SageMaker model / endpoint configuration / endpoint names are rejected with a
  ValidationException, as AWS does (moto silently overwrites).
- EC2 for GPU instances (placement groups, spot requests, CPU options, capacity
  reservation preference, interface security groups): see ec2_patches.py.
- EKS (status transitions, clientRequestToken, add-ons, remote access): see eks_patches.py.
- Application Auto Scaling tags: see autoscaling_patches.py.
- EC2 capacity reservations: see capacity_patches.py.
- EFS throughput updates and protection: see efs_patches.py.
- Glue UpdateJob / UpdateCrawler and AWS's defaults: see glue_patches.py.
- FSx for Lustre fields, tokens and UpdateFileSystem: see fsx_patches.py.
- EMR instance fleets, auto-termination policies, RunJobFlow fields: see emr_patches.py.
- SageMaker model fields, domains, user profiles, code repositories: see sagemaker_patches.py.
- GetBucketVersioning answers with S3's documented XML root (moto uses a wrong one that the
  Rust SDK rejects).
- EC2 RunInstances honours ClientToken: a retry with the same token returns the first
  response instead of launching again (moto launches twice).
- Fault injection (--fault-rate R, or GANTRY_FAULT_RATE): a fraction R of API requests fail —
  a third with the service's own throttling error, a third with a 500 InternalError before
  the request is processed, a third processed and then the connection dropped so the
  response is lost. Counts appear as "injected:<kind>".
- Delays (--delay ACTION=SECONDS, repeatable): the response to ACTION is held for SECONDS
  after moto processed it — a long cloud operation in flight, for interrupt tests.
- /_gantry/counts (GET) returns how many requests of each API action were served, and
  /_gantry/reset (POST) zeroes them: tests use it to count DescribeInstances calls.

Usage: gantry_moto.py [--host 127.0.0.1] [--port 5000]; prints "ready <port>" when serving.
"""

import argparse
import time
import collections
import io
import json
import os
import random
import socket
import sys
import threading
import urllib.parse

# AWS managed policies (arn:aws:iam::aws:policy/...) exist in every real account; moto loads
# them only when asked.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.core.responses import ActionResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sagemaker import models as sm
from moto.sagemaker import responses as smr
from moto.s3 import responses as s3r
from moto.sagemaker.exceptions import ValidationError
from werkzeug.serving import make_server

import ec2_patches  # noqa: F401  (placement groups, spot requests, instance details)
import eks_patches  # noqa: F401  (status transitions, request tokens, add-ons)
import autoscaling_patches  # noqa: F401  (scalable target tags)
import capacity_patches  # noqa: F401  (EC2 capacity reservations)
import efs_patches  # noqa: F401  (throughput updates, protection)
import glue_patches  # noqa: F401  (UpdateJob, UpdateCrawler, defaults)
import fsx_patches  # noqa: F401  (Lustre as AWS reports it, UpdateFileSystem)
import emr_patches  # noqa: F401  (instance fleets, auto-termination, dropped RunJobFlow fields)
import sagemaker_patches  # noqa: F401  (models, domains, user profiles, code repositories)

TRANSITION_DESCRIBES = 2


def _reject_duplicate(store, name, kind, arn_kind, backend):
    if name in store:
        arn = sm.arn_formatter(arn_kind, name, backend.account_id, backend.region_name)
        raise ValidationError(message=f'Cannot create already existing {kind} "{arn}".')


_orig_create_model = sm.SageMakerModelBackend.create_model
_orig_create_config = sm.SageMakerModelBackend.create_endpoint_config
_orig_create_endpoint = sm.SageMakerModelBackend.create_endpoint
_orig_describe_endpoint = sm.SageMakerModelBackend.describe_endpoint


def create_model(self, *args, **kwargs):
    name = kwargs.get("model_name", args[0] if args else None)
    _reject_duplicate(self._models, name, "model", "model", self)
    return _orig_create_model(self, *args, **kwargs)


def create_endpoint_config(self, endpoint_config_name, *args, **kwargs):
    _reject_duplicate(self.endpoint_configs, endpoint_config_name, "endpoint configuration", "endpoint-config", self)
    return _orig_create_config(self, endpoint_config_name, *args, **kwargs)


def create_endpoint(self, endpoint_name, endpoint_config_name, tags):
    _reject_duplicate(self.endpoints, endpoint_name, "endpoint", "endpoint", self)
    ep = _orig_create_endpoint(self, endpoint_name, endpoint_config_name, tags)
    ep.endpoint_status = "Creating"
    ep._gantry_pending = TRANSITION_DESCRIBES
    return ep


def _settle(ep):
    nxt = getattr(ep, "_gantry_next", None)
    if nxt is not None:
        ep.endpoint_config_name, variants = nxt
        ep.production_variants = ep._process_production_variants(variants)
        ep._gantry_next = None
    if ep.endpoint_name.startswith("fail-"):
        ep.endpoint_status = "Failed"
        ep.failure_reason = "Simulated by the test harness: insufficient capacity for the requested instance type."
    else:
        ep.endpoint_status = "InService"


def describe_endpoint(self, endpoint_name):
    response = _orig_describe_endpoint(self, endpoint_name)
    ep = self.endpoints.get(endpoint_name)
    pending = getattr(ep, "_gantry_pending", 0) if ep is not None else 0
    if pending > 0:
        ep._gantry_pending = pending - 1
        if ep._gantry_pending == 0:
            _settle(ep)
    return response


def update_endpoint(self, endpoint_name, endpoint_config_name):
    if endpoint_name not in self.endpoints:
        arn = sm.FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    config = self.describe_endpoint_config(endpoint_config_name)
    ep = self.endpoints[endpoint_name]
    ep.endpoint_status = "Updating"
    ep._gantry_next = (endpoint_config_name, config["ProductionVariants"])
    ep._gantry_pending = TRANSITION_DESCRIBES
    return ep


def update_endpoint_response(self):
    ep = self.sagemaker_backend.update_endpoint(self._get_param("EndpointName"), self._get_param("EndpointConfigName"))
    return ActionResult({"EndpointArn": ep.arn})


sm.SageMakerModelBackend.create_model = create_model
sm.SageMakerModelBackend.create_endpoint_config = create_endpoint_config
sm.SageMakerModelBackend.create_endpoint = create_endpoint
sm.SageMakerModelBackend.describe_endpoint = describe_endpoint
sm.SageMakerModelBackend.update_endpoint = update_endpoint
smr.SageMakerResponse.update_endpoint = update_endpoint_response


def get_bucket_versioning(self):
    """moto 5.2 names the XML root GetBucketVersioningResponse; S3 (and the SDKs) use
    VersioningConfiguration."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    return 200, {"Content-Type": "application/xml"}, body


s3r.S3Response.get_bucket_versioning = get_bucket_versioning


def _service(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker in auth:
        parts = auth.split(marker, 1)[1].split(",")[0].split("/")
        if len(parts) >= 4:
            return parts[3]
    return ""


def _error(environ, service, kind):
    """A protocol-correct error response for the service: throttling or internal error."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        code = "ThrottlingException" if kind == "throttle" else "InternalFailure"
        body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
        return ("400 Bad Request" if kind == "throttle" else "500 Internal Server Error"), "application/x-amz-json-1.1", body
    if service in ("eks", "elasticfilesystem"):
        # restJson1: the code travels in the body's __type (or the x-amzn-ErrorType header).
        code = "ThrottlingException" if kind == "throttle" else "ServerException"
        body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
        return ("429 Too Many Requests" if kind == "throttle" else "500 Internal Server Error"), "application/json", body
    if service == "s3":
        code = "SlowDown" if kind == "throttle" else "InternalError"
        body = f"<Error><Code>{code}</Code><Message>injected {kind}</Message><RequestId>gantry</RequestId></Error>".encode()
        return ("503 Slow Down" if kind == "throttle" else "500 Internal Server Error"), "application/xml", body
    if service == "ec2":
        code = "RequestLimitExceeded" if kind == "throttle" else "InternalError"
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>injected {kind}</Message></Error></Errors><RequestID>gantry</RequestID></Response>".encode()
        return ("503 Service Unavailable" if kind == "throttle" else "500 Internal Server Error"), "text/xml", body
    code = "Throttling" if kind == "throttle" else "InternalFailure"
    body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected {kind}</Message></Error><RequestId>gantry</RequestId></ErrorResponse>".encode()
    return ("400 Bad Request" if kind == "throttle" else "500 Internal Server Error"), "text/xml", body


class Counting:
    """WSGI middleware: counts requests per API action, makes RunInstances idempotent on
    ClientToken, and injects faults."""

    def __init__(self, app, fault_rate=0.0, seed=None, delays=None):
        self.app = app
        # API action -> seconds to hold the response after the request was processed (the
        # object exists, the client does not know yet): a long cloud operation in flight.
        self.delays = delays or {}
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        self.launched = {}

    def _count(self, key):
        with self.lock:
            self.counts[key] += 1

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_gantry/counts":
            with self.lock:
                body = json.dumps(dict(self.counts)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/_gantry/faults-off":
            # The test's own read-back of what exists is not under test: no more faults.
            with self.lock:
                self.fault_rate = 0.0
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        if path == "/_gantry/reset":
            with self.lock:
                self.counts.clear()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        action = None
        form = {}
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            action = target.split(".")[-1]
        else:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            action = (query.get("Action") or [None])[0]
            if action is None and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(body)
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                action = (form.get("Action") or [None])[0]
        if action is None:
            action = f"{environ.get('REQUEST_METHOD')} {path.split('/')[1] if '/' in path else path}"
        self._count(action)

        fault = None
        if self.fault_rate and not path.startswith("/moto-api"):
            with self.lock:
                if self.random.random() < self.fault_rate:
                    fault = self.random.choice(["throttle", "internal", "drop"])
        if fault in ("throttle", "internal"):
            self._count(f"injected:{fault}")
            status, ctype, body = _error(environ, _service(environ), fault)
            start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
            return [body]

        token = (form.get("ClientToken") or [None])[0] if action == "RunInstances" else None
        if token is not None:
            with self.lock:
                cached = self.launched.get(token)
            if cached is not None:
                status, headers, body = cached
                start_response(status, headers)
                return [body]

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        if token is not None and captured.get("status", "").startswith("200"):
            with self.lock:
                self.launched[token] = (captured["status"], captured["headers"], body)
        if action in self.delays:
            time.sleep(self.delays[action])
        if fault == "drop":
            # Processed, but the client never hears back.
            self._count("injected:drop")
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        start_response(captured["status"], captured["headers"])
        return [body]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fault-rate", type=float, default=float(os.environ.get("GANTRY_FAULT_RATE", "0")))
    ap.add_argument("--fault-seed", type=int, default=None)
    ap.add_argument("--delay", action="append", default=[], metavar="ACTION=SECONDS",
                    help="hold responses to ACTION for SECONDS after processing it")
    a = ap.parse_args()
    delays = {k: float(v) for k, v in (d.split("=", 1) for d in a.delay)}
    port = a.port
    if port == 0:
        with socket.socket() as s:
            s.bind((a.host, 0))
            port = s.getsockname()[1]
    app = Counting(DomainDispatcherApplication(create_backend_app), a.fault_rate, a.fault_seed, delays)
    server = make_server(a.host, port, app, threaded=True)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

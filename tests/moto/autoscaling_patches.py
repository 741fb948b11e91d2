"""Application Auto Scaling behaviour real AWS has and moto 5.2 lacks (imported by
gantry_moto.py). Test harness only; listed in the README's emulator table.

- Tags: ListTagsForResource / TagResource / UntagResource are not implemented in moto, and
  RegisterScalableTarget drops its Tags. Scalable targets keep tags by ARN, as AWS does.
"""

import json
import threading

from moto.applicationautoscaling import models as am
from moto.applicationautoscaling import responses as ar

_lock = threading.Lock()


def _tags(backend):
    return backend.__dict__.setdefault("_gantry_tags", {})


def _known(backend, arn):
    return any(t.arn == arn for dim in backend.targets.values() for t in dim.values())


def _not_found(arn):
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ResourceNotFoundException", f"Resource {arn} not found")


_orig_register = ar.ApplicationAutoScalingResponse.register_scalable_target


def register_scalable_target(self):
    body = _orig_register(self)
    tags = self._get_param("Tags")
    if tags:
        arn = json.loads(body)["ScalableTargetARN"]
        with _lock:
            _tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
    return body


def list_tags_for_resource(self):
    arn = self._get_param("ResourceARN")
    backend = self.applicationautoscaling_backend
    with _lock:
        if not _known(backend, arn):
            raise _not_found(arn)
        return json.dumps({"Tags": dict(_tags(backend).get(arn, {}))})


def tag_resource(self):
    arn = self._get_param("ResourceARN")
    backend = self.applicationautoscaling_backend
    with _lock:
        if not _known(backend, arn):
            raise _not_found(arn)
        _tags(backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
    return json.dumps({})


def untag_resource(self):
    arn = self._get_param("ResourceARN")
    backend = self.applicationautoscaling_backend
    with _lock:
        if not _known(backend, arn):
            raise _not_found(arn)
        for k in self._get_param("TagKeys") or []:
            _tags(backend).get(arn, {}).pop(k, None)
    return json.dumps({})


ar.ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
ar.ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
ar.ApplicationAutoScalingResponse.tag_resource = tag_resource
ar.ApplicationAutoScalingResponse.untag_resource = untag_resource
_ = am

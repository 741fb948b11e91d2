"""SageMaker behaviour real AWS has and moto 5.2 lacks, beyond endpoints (those patches live
in gantry_moto.py). Imported by gantry_moto.py. Test harness only; listed in the README's
emulator table.

- CreateModel drops EnableNetworkIsolation (always reports false) and
  InferenceExecutionConfig; DescribeModel reports an empty PrimaryContainer / VpcConfig for
  a model created without them, where AWS leaves them out.
"""

from moto.sagemaker import responses as smr

_orig_create_model = smr.SageMakerResponse.create_model


def create_model(self):
    result = _orig_create_model(self)
    model = self.sagemaker_backend._models[self._get_param("ModelName")]
    # Public attributes: moto's gen_response_object turns them into response fields.
    model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation"))
    model.inference_execution_config = self._get_param("InferenceExecutionConfig")
    if not model.primary_container:
        model.primary_container = None
    if not model.vpc_config:
        model.vpc_config = None
    return result


smr.SageMakerResponse.create_model = create_model


# - Domains: CreateDomain accepts a second domain of the same name (moto derives the id from
#   it and overwrites) and answers without the DomainId; it drops TagPropagation (AWS
#   reports DISABLED unless enabled); UpdateDomain is not implemented.
# - User profiles and code repositories are not implemented at all: Create / Describe /
#   Update / Delete / List, with tags, as the API documents them.

import threading

from moto.sagemaker import models as sm
from moto.sagemaker.exceptions import ValidationError
from moto.core.responses import ActionResult, EmptyResult

_lock = threading.Lock()


def _store(backend, name):
    return backend.__dict__.setdefault(f"_gantry_{name}", {})


def _params(response, *names):
    return {n: response._get_param(n) for n in names}


class _Tagged:
    def __init__(self, tags):
        self.tags = list(tags or [])


_orig_resource_from_arn = sm.SageMakerModelBackend._get_resource_from_arn


def _get_resource_from_arn(self, arn):
    resource = arn.split(":")[-1]
    kind, _, rest = resource.partition("/")
    if kind == "user-profile":
        found = _store(self, "user_profiles").get(rest)
    elif kind == "code-repository":
        found = _store(self, "code_repositories").get(rest)
    else:
        return _orig_resource_from_arn(self, arn)
    if found is None:
        raise ValidationError(message=f"Could not find {kind} '{rest}'.")
    return found


sm.SageMakerModelBackend._get_resource_from_arn = _get_resource_from_arn

_orig_create_domain = smr.SageMakerResponse.create_domain


def create_domain(self):
    name = self._get_param("DomainName")
    if any(d.domain_name == name for d in self.sagemaker_backend.domains.values()):
        from moto.sagemaker.exceptions import ResourceInUseException

        raise ResourceInUseException(message=f"Domain {name} already exists")
    _orig_create_domain(self)
    d = next(d for d in self.sagemaker_backend.domains.values() if d.domain_name == name)
    d._gantry_tag_propagation = self._get_param("TagPropagation") or "DISABLED"
    return ActionResult({"DomainArn": d.arn, "DomainId": d.id, "Url": d.url})


def update_domain(self):
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    if domain_id not in backend.domains:
        raise ValidationError(message=f"Could not find domain '{domain_id}'.")
    d = backend.domains[domain_id]
    for param, attr in [
        ("DefaultUserSettings", "default_user_settings"),
        ("DefaultSpaceSettings", "default_space_settings"),
        ("AppSecurityGroupManagement", "app_security_group_management"),
        ("SubnetIds", "subnet_ids"),
        ("AppNetworkAccessType", "app_network_access_type"),
        ("TagPropagation", "_gantry_tag_propagation"),
    ]:
        value = self._get_param(param)
        if value is not None:
            setattr(d, attr, value)
    d.last_modified_time = sm.utcnow()
    return ActionResult({"DomainArn": d.arn})


_orig_domain_describe = sm.Domain.describe


def _domain_describe(self):
    out = _orig_domain_describe(self)
    out["TagPropagation"] = getattr(self, "_gantry_tag_propagation", "DISABLED")
    return out


sm.Domain.describe = _domain_describe
smr.SageMakerResponse.create_domain = create_domain
smr.SageMakerResponse.update_domain = update_domain


class UserProfile(_Tagged):
    def __init__(self, backend, domain_id, name, params):
        super().__init__(params.get("Tags"))
        self.domain_id = domain_id
        self.name = name
        self.arn = sm.arn_formatter(
            "user-profile", f"{domain_id}/{name}", backend.account_id, backend.region_name
        )
        self.user_settings = params.get("UserSettings")
        self.sso_identifier = params.get("SingleSignOnUserIdentifier")
        self.sso_value = params.get("SingleSignOnUserValue")
        self.created = sm.utcnow()
        self.modified = self.created

    def describe(self):
        out = {
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.name,
            "HomeEfsFileSystemUid": "200001",
            "Status": "InService",
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            "SingleSignOnUserIdentifier": self.sso_identifier,
            "SingleSignOnUserValue": self.sso_value,
            "UserSettings": self.user_settings,
        }
        return {k: v for k, v in out.items() if v is not None}


def _profile(self):
    backend = self.sagemaker_backend
    key = f"{self._get_param('DomainId')}/{self._get_param('UserProfileName')}"
    found = _store(backend, "user_profiles").get(key)
    if found is None:
        raise ValidationError(message=f"User profile {key} does not exist")
    return found


def create_user_profile(self):
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    if domain_id not in backend.domains:
        raise ValidationError(message=f"Could not find domain '{domain_id}'.")
    name = self._get_param("UserProfileName")
    with _lock:
        store = _store(backend, "user_profiles")
        if f"{domain_id}/{name}" in store:
            from moto.sagemaker.exceptions import ResourceInUseException

            raise ResourceInUseException(message=f"User profile {name} already exists")
        p = UserProfile(backend, domain_id, name, _params(self, "Tags", "UserSettings", "SingleSignOnUserIdentifier", "SingleSignOnUserValue"))
        store[f"{domain_id}/{name}"] = p
    return ActionResult({"UserProfileArn": p.arn})


def describe_user_profile(self):
    return ActionResult(_profile(self).describe())


def update_user_profile(self):
    p = _profile(self)
    if self._get_param("UserSettings") is not None:
        p.user_settings = self._get_param("UserSettings")
    p.modified = sm.utcnow()
    return ActionResult({"UserProfileArn": p.arn})


def delete_user_profile(self):
    p = _profile(self)
    with _lock:
        _store(self.sagemaker_backend, "user_profiles").pop(f"{p.domain_id}/{p.name}", None)
    return EmptyResult()


def list_user_profiles(self):
    domain = self._get_param("DomainIdEquals")
    profiles = [
        {
            "DomainId": p.domain_id,
            "UserProfileName": p.name,
            "Status": "InService",
            "CreationTime": p.created,
            "LastModifiedTime": p.modified,
        }
        for p in _store(self.sagemaker_backend, "user_profiles").values()
        if domain is None or p.domain_id == domain
    ]
    return ActionResult({"UserProfiles": profiles})


class CodeRepository(_Tagged):
    def __init__(self, backend, name, params):
        super().__init__(params.get("Tags"))
        self.name = name
        self.arn = sm.arn_formatter("code-repository", name, backend.account_id, backend.region_name)
        self.git_config = params.get("GitConfig")
        self.created = sm.utcnow()
        self.modified = self.created

    def describe(self):
        return {
            "CodeRepositoryName": self.name,
            "CodeRepositoryArn": self.arn,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            "GitConfig": self.git_config,
        }


def _repository(self):
    name = self._get_param("CodeRepositoryName")
    found = _store(self.sagemaker_backend, "code_repositories").get(name)
    if found is None:
        raise ValidationError(message=f"Cannot find Code Repository with name: {name}")
    return found


def create_code_repository(self):
    backend = self.sagemaker_backend
    name = self._get_param("CodeRepositoryName")
    with _lock:
        store = _store(backend, "code_repositories")
        if name in store:
            raise ValidationError(message=f"Cannot create already existing code repository \"{store[name].arn}\".")
        r = CodeRepository(backend, name, _params(self, "Tags", "GitConfig"))
        store[name] = r
    return ActionResult({"CodeRepositoryArn": r.arn})


def describe_code_repository(self):
    return ActionResult(_repository(self).describe())


def update_code_repository(self):
    r = _repository(self)
    git = self._get_param("GitConfig")
    if git and "SecretArn" in git:
        r.git_config = dict(r.git_config or {}, SecretArn=git["SecretArn"])
    r.modified = sm.utcnow()
    return ActionResult({"CodeRepositoryArn": r.arn})


def delete_code_repository(self):
    r = _repository(self)
    with _lock:
        _store(self.sagemaker_backend, "code_repositories").pop(r.name, None)
    return EmptyResult()


def list_code_repositories(self):
    repos = [
        {
            "CodeRepositoryName": r.name,
            "CodeRepositoryArn": r.arn,
            "CreationTime": r.created,
            "LastModifiedTime": r.modified,
            "GitConfig": r.git_config,
        }
        for r in _store(self.sagemaker_backend, "code_repositories").values()
    ]
    return ActionResult({"CodeRepositorySummaryList": repos})


for _f in [
    create_user_profile,
    describe_user_profile,
    update_user_profile,
    delete_user_profile,
    list_user_profiles,
    create_code_repository,
    describe_code_repository,
    update_code_repository,
    delete_code_repository,
    list_code_repositories,
]:
    setattr(smr.SageMakerResponse, _f.__name__, _f)

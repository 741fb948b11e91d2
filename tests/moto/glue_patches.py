"""Glue behaviour real AWS has and moto 5.2 lacks (imported by gantry_moto.py). Test harness
only; listed in the README's emulator table.

- UpdateJob and UpdateCrawler are not implemented. UpdateJob replaces the whole definition
  (AWS: "the previous job definition is completely overwritten"); UpdateCrawler changes what
  it is given, and an empty Schedule / TablePrefix / Configuration clears it.
- A job created without ExecutionClass reports STANDARD; AWS reports none.
- A database created without CreateTableDefaultPermissions reports none; AWS reports its
  default (ALL for IAM_ALLOWED_PRINCIPALS).
"""

from moto.core.responses import ActionResult, EmptyResult
from moto.glue import models as gm
from moto.glue import responses as gr

_orig_job_init = gm.FakeJob.__init__


def _job_init(self, *args, **kwargs):
    _orig_job_init(self, *args, **kwargs)
    given = kwargs.get("execution_class", args[20] if len(args) > 20 else None)
    self.execution_class = given


gm.FakeJob.__init__ = _job_init

_orig_db_init = gm.FakeDatabase.__init__


def _db_init(self, database_name, database_input, catalog_id):
    _orig_db_init(self, database_name, database_input, catalog_id)
    if not self.input.get("CreateTableDefaultPermissions"):
        self.input["CreateTableDefaultPermissions"] = [
            {
                "Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
                "Permissions": ["ALL"],
            }
        ]


gm.FakeDatabase.__init__ = _db_init

# JobUpdate field -> FakeJob attribute (what UpdateJob overwrites).
_JOB_FIELDS = {
    "Description": "description",
    "LogUri": "log_uri",
    "Role": "role",
    "ExecutionProperty": "execution_property",
    "Command": "command",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "WorkerType": "worker_type",
    "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}


def update_job(self):
    name = self._get_param("JobName")
    job = self.glue_backend.get_job(name)
    update = self._get_param("JobUpdate") or {}
    for field, attr in _JOB_FIELDS.items():
        value = update.get(field)
        if attr in ("execution_property", "default_arguments") and value is None:
            value = {}
        setattr(job, attr, value)
    job.last_modified_on = gm.utcnow()
    return ActionResult({"JobName": name})


# UpdateCrawler parameter -> FakeCrawler attribute.
_CRAWLER_FIELDS = {
    "Role": "role",
    "DatabaseName": "database_name",
    "Description": "description",
    "Targets": "targets",
    "Classifiers": "classifiers",
    "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy",
    "LineageConfiguration": "lineage_configuration",
    "CrawlerSecurityConfiguration": "crawler_security_configuration",
}
_CLEARED_BY_EMPTY = {
    "Schedule": "schedule",
    "TablePrefix": "table_prefix",
    "Configuration": "configuration",
}


def update_crawler(self):
    crawler = self.glue_backend.get_crawler(self._get_param("Name"))
    for field, attr in _CRAWLER_FIELDS.items():
        value = self._get_param(field)
        if value is not None:
            setattr(crawler, attr, value)
    for field, attr in _CLEARED_BY_EMPTY.items():
        value = self._get_param(field)
        if value is not None:
            setattr(crawler, attr, value or None)
    crawler.last_updated = gm.utcnow()
    crawler.version += 1
    return EmptyResult()


gr.GlueResponse.update_job = update_job
gr.GlueResponse.update_crawler = update_crawler

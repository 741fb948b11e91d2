"""Google discovery documents: routes and request-body checks for the test server.

The documents ship in PyPI `google-api-python-client` (discovery_cache/documents). Every
method becomes a route (its flatPath as a regular expression); every request body is checked
against the method's request schema the way Google's front ends check it: unknown fields,
fields marked output only, wrong JSON types, values outside an enum and missing required
fields are 400 INVALID_ARGUMENT, naming the field.
"""

import json
import os
import re


def documents_dir():
    # Only the package's location: the documents are plain JSON, and the package itself
    # (with its google-auth dependencies) is never imported.
    import importlib.util

    spec = importlib.util.find_spec("googleapiclient")
    if spec is None:
        raise SystemExit("google-api-python-client is not installed (run scripts/setup)")
    return os.path.join(spec.submodule_search_locations[0], "discovery_cache", "documents")


class Api:
    """One discovery document: `prefix` is the first path segment the server serves it under."""

    def __init__(self, prefix, filename):
        with open(os.path.join(documents_dir(), filename)) as f:
            self.doc = json.load(f)
        self.prefix = prefix
        self.name = self.doc["name"]
        self.version = self.doc["version"]
        self.service_path = self.doc.get("servicePath", "")
        self.schemas = self.doc["schemas"]
        self.routes = []
        self._collect(self.doc)
        # Literal segments first: `nodes/{id}:start` must win over `{+name}`.
        self.routes.sort(key=lambda r: -r[3])

    def _collect(self, node):
        for m in node.get("methods", {}).values():
            template = self.service_path + m.get("flatPath", m["path"])
            regex, names = template_regex(template)
            literal = len(re.sub(r"\{[^}]*\}", "", template))
            self.routes.append((m["httpMethod"], regex, names, literal, m))
        for child in node.get("resources", {}).values():
            self._collect(child)

    def route(self, http_method, path):
        """The method whose template matches `path` (without the server prefix)."""
        for verb, regex, names, _, m in self.routes:
            if verb != http_method:
                continue
            hit = regex.fullmatch(path)
            if hit:
                return m, dict(zip(names, hit.groups()))
        return None, None

    def schema(self, ref):
        return self.schemas[ref]


def template_regex(template):
    names = []

    def repl(match):
        name = match.group(1)
        names.append(name.lstrip("+"))
        return "(.+)" if name.startswith("+") else "([^/:]+)"

    parts = re.split(r"(\{[^}]*\})", template)
    out = ""
    for p in parts:
        if p.startswith("{"):
            out += re.sub(r"\{([^}]*)\}", repl, p)
        else:
            out += re.escape(p)
    return re.compile(out), names


def output_only(prop):
    d = prop.get("description", "")
    return bool(prop.get("readOnly")) or d.startswith("Output only") or d.startswith("[Output Only]")


def required(prop, method_id):
    annotated = prop.get("annotations", {}).get("required")
    if annotated is not None:
        return method_id in annotated
    return prop.get("description", "").startswith("Required.")


class Invalid(Exception):
    def __init__(self, field, message):
        super().__init__(f"Invalid value at '{field}': {message}" if field else message)
        self.field = field


def check(api, schema, value, path, method_id, check_required=True):
    """Raises Invalid for the first problem in `value` against `schema` (a schema dict)."""
    if "$ref" in schema:
        return check(api, api.schema(schema["$ref"]), value, path, method_id, check_required)
    t = schema.get("type")
    if t == "any" or t is None and "properties" not in schema:
        return
    if value is None:
        return
    if t == "object" or "properties" in schema:
        if not isinstance(value, dict):
            raise Invalid(path, f"expected an object, got {json.dumps(value)[:40]}")
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is not None:
            for k, v in value.items():
                check(api, extra, v, f"{path}[{k}]", method_id, check_required)
            return
        props = props or {}
        for k, v in value.items():
            if k not in props:
                raise Invalid(path, f'Cannot find field: "{k}" (at {path or "request"})')
            if output_only(props[k]) and k not in ("name",):
                raise Invalid(f"{path}.{k}".lstrip("."), "field is output only and cannot be set")
            check(api, props[k], v, f"{path}.{k}".lstrip("."), method_id, check_required)
        if check_required:
            for k, p in props.items():
                if k not in value and required(p, method_id) and not output_only(p):
                    field = f"{path}.{k}".lstrip(".")
                    raise Invalid(field, f"required field {field} is not set")
        return
    if t == "array":
        if not isinstance(value, list):
            raise Invalid(path, "expected a list")
        for i, v in enumerate(value):
            check(api, schema.get("items", {}), v, f"{path}[{i}]", method_id, check_required)
        return
    fmt = schema.get("format", "")
    if t == "string":
        if not isinstance(value, str):
            raise Invalid(path, f"expected a string, got {json.dumps(value)[:40]}")
        if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            raise Invalid(path, f'"{value}" is not an integer')
        if "enum" in schema and value not in schema["enum"]:
            raise Invalid(path, f'"{value}" is not one of {", ".join(schema["enum"])}')
        return
    if t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            ok = True  # Google's JSON mapping accepts integers quoted
        if not ok:
            raise Invalid(path, f"expected an integer, got {json.dumps(value)[:40]}")
        return
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(path, "expected a number")
        return
    if t == "boolean":
        if not isinstance(value, bool):
            raise Invalid(path, f"expected true or false, got {json.dumps(value)[:40]}")

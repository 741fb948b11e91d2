"""What the Google test server holds: objects, operations, the virtual clock, faults."""

import random
import threading
import time


class ApiError(Exception):
    """A Google JSON error: {"error": {"code", "message", "status", "details"}}."""

    STATUS = {
        400: "INVALID_ARGUMENT",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        412: "FAILED_PRECONDITION",
        429: "RESOURCE_EXHAUSTED",
        503: "UNAVAILABLE",
    }

    def __init__(self, code, message, status=None, details=None, errors=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or self.STATUS.get(code, "UNKNOWN")
        self.details = details or []
        self.errors = errors

    def body(self):
        e = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            e["details"] = self.details
        if self.errors:
            e["errors"] = self.errors
        return {"error": e}


class State:
    """Everything the server holds, behind one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.objects = {}  # (api, key) -> dict
        self.operations = {}  # (api, key) -> Operation
        self.clock = 0.0
        self.auto_advance = 30.0
        self.durations = {}  # method id -> virtual seconds (default 60)
        self.faults = []  # dicts: method, http | op_error, times
        self.stats = {}
        self.next_id = random.randint(10**17, 10**18)

    def new_id(self):
        self.next_id += 1
        return str(self.next_id)

    def now_rfc3339(self):
        t = 1_767_225_600 + self.clock  # 2026-01-01T00:00:00Z on the virtual clock
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"

    def take_fault(self, method_id, kind):
        for f in self.faults:
            if f["method"] == method_id and kind in f and f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
                return f[kind]
        return None


class Operation:
    """A long-running operation: done once the virtual clock reaches `done_at`; `finish`
    applies its effect then (and may raise ApiError to end it in an error)."""

    def __init__(self, api, key, method_id, done_at, finish, style, meta):
        self.api = api
        self.key = key
        self.method_id = method_id
        self.done_at = done_at
        self.finish = finish
        self.style = style  # "lro" (google.longrunning) or "compute"
        self.meta = meta
        self.done = False
        self.response = None
        self.error = None

    def poll(self, state):
        if not self.done and state.clock >= self.done_at:
            self.done = True
            injected = state.take_fault(self.method_id, "op_error")
            try:
                if injected is not None:
                    raise ApiError(injected.get("code", 8), injected.get("message", ""),
                                   details=injected.get("details"), errors=injected.get("errors"))
                self.response = self.finish()
            except ApiError as e:
                self.error = e
                if self.meta.get("on_error"):
                    self.meta["on_error"]()
        return self

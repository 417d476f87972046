"""``cwdesk sandbox diff``: one fixed, read-only battery of requests run against a real ConnectWise and the sandbox,
and where their answers differ, in shape only.

The battery (``MANAGE_BATTERY``, ``AUTOMATE_BATTERY``) is GETs only, with pages of 2, sent through the SDK's clients
(so at their throttle's pace, with their retries). For every probe both sides are reduced to an ``Observation``:
the status, the *shape* of the body (each field's dotted path, ``types[].name`` for arrays, and the JSON types seen
there: string, number, boolean, object, array, null), a few headers (the media type of ``Content-Type``, whether
``api-current-version`` is sent, the ``rel`` names of ``Link``), and for deliberate bad requests the error's code,
message and per-field codes. ``compare`` lists what differs: a field missing (on the real server, not on the
sandbox) or extra (the other way round), its type, its nullness, a header, the paging links, the status, the error.

Values never leave this module: a shape holds names and types only, links are reduced to their ``rel`` names, and
the ids some probes need (the first record of a page, the count for the last page) are used for the next request
and dropped. Error messages are printed: they are the server's words about our own deliberate bad request.

ConnectWise leaves null fields out of its JSON, so a field that is empty in every record of one side's page shows
as missing there: the report says so (``docs/sandbox.md``), and small pages of the same records keep this rare.
Not for: the emulator (``cwdesk.sandbox``, which this module does not import) or printing (``cli/sandbox.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import httpx

from cwdesk.errors import APIStatusError, AuthenticationError

Product = Literal["manage", "automate"]
Shape = dict[str, frozenset[str]]
"""A body's shape: each field path and the JSON types seen at it."""

PAGE_SIZE = 2
MAX_DEPTH = 4
"""How deep nested objects are followed (``a.b.c.d``); deeper fields count as their parent's type only."""

HEADERS_COMPARED = ("content-type", "api-current-version", "link")
_REL = re.compile(r'\brel\s*=\s*"?([A-Za-z-]+)')


class _Requester(Protocol):
    """What a probe needs from a client: ``ManageClient.request`` or ``AutomateClient.core.request``."""

    def __call__(
        self,
        method: str,
        path: str,
        /,
        *,
        params: Mapping[str, str | int] | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> httpx.Response: ...


@dataclass(frozen=True)
class Probe:
    """One request of the battery."""

    key: str
    """A stable name, e.g. ``manage.companies.page``."""
    path: str
    """Relative to the API base; ``{id}`` is the first record id of probe ``id_from``."""
    params: Mapping[str, str | int] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    id_from: str | None = None
    last_page_of: str | None = None
    """The key of a count probe: ask the last page of ``PAGE_SIZE`` records (``page`` = ceil(count / size))."""
    bad_request: bool = False
    """Deliberately wrong: only its status and error are compared."""


def _page(**extra: str | int) -> dict[str, str | int]:
    return {"pageSize": PAGE_SIZE, "page": 1, **extra}


MANAGE_BATTERY: tuple[Probe, ...] = (
    Probe("manage.system.info", "/system/info"),
    Probe("manage.companies.page", "/company/companies", _page(orderBy="id asc")),
    Probe("manage.companies.count", "/company/companies/count"),
    Probe(
        "manage.companies.last_page",
        "/company/companies",
        {"pageSize": PAGE_SIZE, "orderBy": "id asc"},
        last_page_of="manage.companies.count",
    ),
    # Forward-only paging: records by id, the next page named by pageId in the Link header (docs/connectwise.md).
    Probe(
        "manage.companies.forward_only",
        "/company/companies",
        {"pageSize": PAGE_SIZE},
        headers={"pagination-type": "forward-only"},
    ),
    Probe("manage.companies.one", "/company/companies/{id}", id_from="manage.companies.page"),
    Probe("manage.company_sites.page", "/company/companies/{id}/sites", _page(), id_from="manage.companies.page"),
    Probe("manage.contacts.page", "/company/contacts", _page(orderBy="id asc")),
    Probe("manage.tickets.page", "/service/tickets", _page(orderBy="id asc")),
    Probe("manage.boards.page", "/service/boards", _page(orderBy="id asc")),
    Probe("manage.agreements.page", "/finance/agreements", _page(orderBy="id asc")),
    Probe("manage.members.page", "/system/members", _page(orderBy="id asc")),
    Probe(
        "manage.bad.unknown_condition_field",
        "/company/companies",
        {"conditions": "cwdeskNoSuchField = 1", "pageSize": 1},
        bad_request=True,
    ),
    Probe("manage.bad.missing_id", "/company/companies/999999999", bad_request=True),
    Probe("manage.bad.page_size", "/company/companies", {"pageSize": "abc"}, bad_request=True),
)

AUTOMATE_BATTERY: tuple[Probe, ...] = (
    Probe("automate.clients.page", "/Clients", {"pagesize": PAGE_SIZE, "page": 1, "orderby": "Id asc"}),
    Probe("automate.clients.one", "/Clients/{id}", id_from="automate.clients.page"),
    Probe("automate.computers.page", "/Computers", {"pagesize": PAGE_SIZE, "page": 1, "orderby": "Id asc"}),
    Probe("automate.computers.one", "/Computers/{id}", id_from="automate.computers.page"),
    Probe(
        "automate.bad.unknown_condition_property",
        "/Computers",
        {"condition": "CwdeskNoSuchProperty = 1", "pagesize": 1},
        bad_request=True,
    ),
    Probe("automate.bad.missing_id", "/Clients/999999999", bad_request=True),
    Probe("automate.bad.page_size", "/Clients", {"pagesize": 0}, bad_request=True),
)


@dataclass(frozen=True)
class Observation:
    """What one side answered to one probe, without any value from its records."""

    status: int | None
    """``None`` when the probe could not be sent (no id or count to use; ``note`` says why)."""
    shape: Shape = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """``content-type`` (media type), ``api-current-version`` (``sent``), ``link`` (its rel names, sorted)."""
    error_code: str = ""
    error_message: str = ""
    error_fields: tuple[str, ...] = ()
    """``code on field`` for each entry of a Manage error's ``errors``."""
    note: str = ""
    """Why there is no status (no id or count to use), or ``not JSON`` for a body that is not JSON."""


@dataclass(frozen=True)
class Difference:
    """One way the two servers' answers to a probe differ."""

    probe: str
    aspect: str
    """status, body (one is not JSON), records (one side's page is empty), field missing, field extra, type,
    nullness, header, paging, error code, error message, error fields."""
    name: str
    """The field path or header name ('' for the whole answer)."""
    real: str
    sandbox: str


@dataclass
class DiffReport:
    """The battery's outcome: every probe's status on both sides and the differences."""

    probes: list[dict[str, Any]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "probes": self.probes,
            "differences": [asdict(d) for d in self.differences],
            "skipped": self.skipped,
        }


# -- shapes ------------------------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_of(body: Any) -> Shape:
    """The shape of a body: a list is the union of its records' shapes; ``$`` is the body's own type."""
    seen: dict[str, set[str]] = {"$": {json_type(body)}}
    records = body if isinstance(body, list) else [body]
    for record in records:
        if isinstance(record, dict):
            _walk(record, "", 1, seen)
    return {path: frozenset(types) for path, types in seen.items()}


def _walk(record: Mapping[str, Any], prefix: str, depth: int, seen: dict[str, set[str]]) -> None:
    for name, value in record.items():
        path = f"{prefix}{name}"
        seen.setdefault(path, set()).add(json_type(value))
        if depth >= MAX_DEPTH:
            continue
        if isinstance(value, dict):
            _walk(value, path + ".", depth + 1, seen)
        elif isinstance(value, list):
            for item in value:
                seen.setdefault(path + "[]", set()).add(json_type(item))
                if isinstance(item, dict):
                    _walk(item, path + "[].", depth + 1, seen)


def link_rels(header: str | None) -> str:
    """The ``rel`` names of a ``Link`` header, sorted and comma-joined ('' when none): never its URLs."""
    if not header:
        return ""
    return ",".join(sorted(set(_REL.findall(header))))


def _headers_of(response: httpx.Response) -> dict[str, str]:
    headers: dict[str, str] = {}
    content_type = response.headers.get("content-type")
    if content_type is not None:
        headers["content-type"] = content_type.split(";", 1)[0].strip().lower()
    if "api-current-version" in response.headers:
        headers["api-current-version"] = "sent"
    if "link" in response.headers:
        headers["link"] = link_rels(response.headers.get("link")) or "(no rel)"
    return headers


def _error_of(status: int, body: Any) -> Observation:
    if not isinstance(body, dict):
        return Observation(status, shape=shape_of(body))
    fields = tuple(
        f"{entry.get('code', '')} on {entry.get('field', '')}"
        for entry in body.get("errors") or ()
        if isinstance(entry, dict)
    )
    message = body.get("message") or body.get("Message") or ""
    return Observation(status, error_code=str(body.get("code") or ""), error_message=str(message), error_fields=fields)


# -- running the battery -----------------------------------------------------------------------------------------


def _first_id(body: Any) -> str | None:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        value = body[0].get("id", body[0].get("Id"))
        return None if value is None else str(value)
    return None


def run_battery(request: _Requester, battery: Iterable[Probe]) -> dict[str, Observation]:
    """Send each probe in order with ``request`` and observe the answers (ids and counts are used, not kept)."""
    observed: dict[str, Observation] = {}
    bodies: dict[str, Any] = {}
    for probe in battery:
        path, params = probe.path, dict(probe.params)
        if probe.id_from is not None:
            record_id = _first_id(bodies.get(probe.id_from))
            if record_id is None:
                observed[probe.key] = Observation(None, note=f"no record in {probe.id_from} to ask for")
                continue
            path = path.replace("{id}", record_id)
        if probe.last_page_of is not None:
            count = bodies.get(probe.last_page_of)
            total = count.get("count") if isinstance(count, dict) else None
            if not isinstance(total, int):
                observed[probe.key] = Observation(None, note=f"no count in {probe.last_page_of}")
                continue
            params["page"] = max(1, math.ceil(total / PAGE_SIZE))
        try:
            response = request("GET", path, params=params, headers=dict(probe.headers))
        except AuthenticationError:
            raise  # wrong credentials: every probe would say so; the command reports it once (exit code 1)
        except APIStatusError as exc:
            observed[probe.key] = _error_of(exc.status_code, exc.body)
            continue
        # An APIConnectionError (after the SDK's retries) ends the battery too: the server is not there.
        try:
            body = response.json() if response.content else None
        except ValueError:
            observed[probe.key] = Observation(response.status_code, headers=_headers_of(response), note="not JSON")
            continue
        bodies[probe.key] = body
        observed[probe.key] = Observation(response.status_code, shape=shape_of(body), headers=_headers_of(response))
    return observed


# -- comparing ---------------------------------------------------------------------------------------------------


def _types(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


def _compare_shapes(key: str, real: Shape, sandbox: Shape) -> list[Difference]:
    found: list[Difference] = []
    for path in sorted(real.keys() | sandbox.keys()):
        if path not in sandbox:
            found.append(Difference(key, "field missing", path, _types(real[path]), "absent"))
        elif path not in real:
            found.append(Difference(key, "field extra", path, "absent", _types(sandbox[path])))
        else:
            real_types, sandbox_types = real[path] - {"null"}, sandbox[path] - {"null"}
            if real_types and sandbox_types and real_types != sandbox_types:
                found.append(Difference(key, "type", path, _types(real_types), _types(sandbox_types)))
            elif ("null" in real[path]) != ("null" in sandbox[path]):
                found.append(Difference(key, "nullness", path, _types(real[path]), _types(sandbox[path])))
    return found


def compare(key: str, real: Observation, sandbox: Observation) -> list[Difference]:
    """How the two observations of probe ``key`` differ (an empty list when they agree)."""
    if real.status != sandbox.status:
        return [Difference(key, "status", "", _status(real), _status(sandbox))]
    if real.status is None:
        return []
    found: list[Difference] = []
    if real.status >= 400:
        for aspect, a, b in (
            ("error code", real.error_code, sandbox.error_code),
            ("error message", real.error_message, sandbox.error_message),
            ("error fields", "; ".join(real.error_fields), "; ".join(sandbox.error_fields)),
        ):
            if a != b:
                found.append(Difference(key, aspect, "", a or "(none)", b or "(none)"))
        return found
    if real.note != sandbox.note:  # one body is not JSON (e.g. a proxy's HTML page): nothing else to compare
        return [Difference(key, "body", "", real.note or "JSON", sandbox.note or "JSON")]
    for name in HEADERS_COMPARED:
        a, b = real.headers.get(name, "absent"), sandbox.headers.get(name, "absent")
        if a != b:
            found.append(Difference(key, "paging" if name == "link" else "header", name, a, b))
    real_empty, sandbox_empty = set(real.shape) <= {"$"}, set(sandbox.shape) <= {"$"}
    if real_empty != sandbox_empty:
        # An empty page has no fields to compare: one finding, not every field of the other side as missing.
        found.append(
            Difference(key, "records", "", "none" if real_empty else "some", "none" if sandbox_empty else "some")
        )
        return found
    found.extend(_compare_shapes(key, real.shape, sandbox.shape))
    return found


def _status(observation: Observation) -> str:
    return str(observation.status) if observation.status is not None else observation.note or "no answer"


def diff(
    real: Callable[[], dict[str, Observation]],
    sandbox: Callable[[], dict[str, Observation]],
    battery: Iterable[Probe],
    report: DiffReport | None = None,
) -> DiffReport:
    """Run one battery on both sides (the real server first) and add its probes and differences to ``report``."""
    report = report if report is not None else DiffReport()
    real_seen, sandbox_seen = real(), sandbox()
    for probe in battery:
        a, b = real_seen[probe.key], sandbox_seen[probe.key]
        report.probes.append({"probe": probe.key, "real": _status(a), "sandbox": _status(b)})
        report.differences.extend(compare(probe.key, a, b))
    return report


def diff_servers(
    real_manage: _Requester,
    sandbox_manage: _Requester,
    real_automate: _Requester | None = None,
    sandbox_automate: _Requester | None = None,
) -> DiffReport:
    """The whole battery: Manage, then Automate when the real side has an Automate connection."""
    report = diff(
        lambda: run_battery(real_manage, MANAGE_BATTERY),
        lambda: run_battery(sandbox_manage, MANAGE_BATTERY),
        MANAGE_BATTERY,
    )
    if real_automate is None or sandbox_automate is None:
        report.skipped.append("automate: no Automate connection in the profile")
        return report
    automate_real, automate_sandbox = real_automate, sandbox_automate
    return diff(
        lambda: run_battery(automate_real, AUTOMATE_BATTERY),
        lambda: run_battery(automate_sandbox, AUTOMATE_BATTERY),
        AUTOMATE_BATTERY,
        report,
    )

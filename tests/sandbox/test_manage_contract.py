"""S6: every response of every implemented Manage path validates against the schemas of ``manage-core.json``
(and the child collections' schemas of ``manage-children.json``).

Objects are checked strictly (no property the spec does not define), so the emulator cannot drift from the spec.
OpenAPI 3.0's ``nullable`` is turned into JSON Schema's ``"null"`` type. A property typed ``object`` with neither
properties nor additionalProperties is ConnectWise's generator saying "any value" (``CustomFieldValue.value`` holds
text, numbers, booleans; the sandbox reads it the same way, ``ManageBackend._value``), so it accepts any value.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import jsonschema
import pytest

from cwdesk.sandbox.backend.kinds import KINDS, Kind
from cwdesk.sandbox.backend.spec import spec_path


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        elif node.get("type") in ("object", ["object", "null"]) and "additionalProperties" not in node:
            del node["type"]
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


SPEC = json.loads(spec_path("manage-core.json").read_text(encoding="utf-8"))
CHILDREN = json.loads(spec_path("manage-children.json").read_text(encoding="utf-8"))
DOCUMENT = {
    "components": {
        "schemas": _strict(copy.deepcopy({**CHILDREN["components"]["schemas"], **SPEC["components"]["schemas"]}))
    }
}


def check(response: httpx.Response, schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator({**schema, **DOCUMENT})
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{response.request.url}: {errors[0].message} at {list(errors[0].path)}"


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    operation = SPEC["paths"][path][method]
    content = operation["responses"][status]["content"]
    return dict(next(iter(content.values()))["schema"])


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


COLLECTIONS = [kind.path for kind in KINDS.values() if kind.path in SPEC["paths"]]


@pytest.mark.parametrize("path", COLLECTIONS)
def test_list_count_and_item_responses_match_the_spec(manage: httpx.Client, path: str) -> None:
    concrete = path.replace("{parentId}", "1")
    listing = manage.get(concrete, params={"pageSize": 1000})
    assert listing.status_code == 200
    check(listing, response_schema(path, "get", "200"))
    check(manage.get(concrete + "/count"), response_schema(path + "/count", "get", "200"))
    records = listing.json()
    if path != "/system/callbacks":
        assert records, f"the demo seed should have records at {path}"
    for record in records[:5]:
        item = manage.get(f"{concrete}/{record['id']}")
        check(item, response_schema(path + "/{id}", "get", "200"))


CHILD_KINDS = [kind for kind in KINDS.values() if kind.path in CHILDREN["paths"]]


@pytest.mark.parametrize("kind", CHILD_KINDS, ids=[kind.name for kind in CHILD_KINDS])
def test_child_collections_match_their_schemas(manage: httpx.Client, kind: Kind) -> None:
    concrete = kind.path.replace("{parentId}", "1")
    listing = manage.get(concrete, params={"pageSize": 1000})
    assert listing.status_code == 200
    assert listing.json(), f"the demo seed should have records at {concrete}"
    check(listing, {"type": "array", "items": ref(kind.schema)})
    check(manage.get(concrete + "/count"), ref("Count"))
    check(manage.get(f"{concrete}/{listing.json()[0]['id']}"), ref(kind.schema))


def test_contact_communications_match_their_schema(manage: httpx.Client) -> None:
    listing = manage.get("/company/contacts/1/communications")
    check(listing, {"type": "array", "items": ref("ContactCommunication")})
    check(manage.get(f"/company/contacts/1/communications/{listing.json()[0]['id']}"), ref("ContactCommunication"))


def test_system_info_matches_the_spec(manage: httpx.Client) -> None:
    check(manage.get("/system/info"), response_schema("/system/info", "get", "200"))


def test_written_records_match_the_spec(manage: httpx.Client) -> None:
    created = manage.post(
        "/service/tickets",
        json={"summary": "Scanner jams", "company": {"id": 2}, "initialDescription": "It jams on page 2"},
    )
    assert created.status_code == 201
    check(created, ref("Ticket"))
    assert "initialDescription" not in created.json()  # spec: "will not be returned in the response"
    callback = manage.post(
        "/system/callbacks",
        json={"url": "https://hooks.example/cw", "objectId": 1, "type": "company", "level": "owner"},
    )
    check(callback, ref("CallbackEntry"))
    patched = manage.patch("/company/companies/1", json=[{"op": "replace", "path": "city", "value": "Clearwater"}])
    check(patched, ref("Company"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/company/companies/404", None),
        ("GET", "/company/companies?conditions=nosuch%3D1", None),
        ("POST", "/company/companies", {}),
        ("POST", "/company/companies", {"identifier": "AcmeDental", "name": "x"}),
        ("PATCH", "/company/companies/1", {"name": "x"}),
    ],
)
def test_error_bodies_are_error_response_messages(
    manage: httpx.Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = manage.request(method, path, json=body)
    assert response.status_code in (400, 404)
    check(response, ref("ErrorResponseMessage"))

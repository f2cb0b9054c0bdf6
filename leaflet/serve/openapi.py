"""The OpenAPI 3.1 description of the API, made from the same field list as the form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from .fields import Field
    from .library import Library

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str, headers: dict | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}
    if headers:
        answer["headers"] = headers
    return answer


def _property(field: Field, library: Library) -> dict[str, Any]:
    described: dict[str, Any] = {"description": " ".join(part for part in (field.label + ".", field.hint) if part)}
    if field.kind == "number":
        described["type"] = ["number", "string", "null"]
        described["description"] += f" A number ({field.unit}), or a string such as \"4,5\"."
    elif field.kind == "uses":
        described["type"] = ["array", "string", "null"]
        described["items"] = {"type": "string"}
        described["description"] += " Use ids from GET /api/medicines: a list, or one string such as \"asthma;eczema\"."
    else:
        described["type"] = ["string", "null"]
    if field.choices is not None:
        values = [value for value, _label in field.choices(library) if value]
        if values:
            described["examples"] = values
            described["description"] += f" One of: {', '.join(values)}."
    return described


def openapi(fields: tuple[Field, ...], library: Library) -> dict[str, Any]:
    retry = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
    leaflet_request = {
        "type": "object",
        "additionalProperties": False,
        "required": [field.name for field in fields if field.required],
        "description": "The batch manifest's columns, with `medicine` (an id from GET /api/medicines) in place of "
                       "`content`. `audience` may be left out when `patient_age` is given: it follows from the age.",
        "properties": {field.name: _property(field, library) for field in fields},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "leaflet serve", "version": __version__,
                 "description": "Tailored, printable PDF patient leaflets. Errors are RFC 9457 problem details "
                                "in the same words as the `leaflet` command line."},
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "Needed when the server listens beyond loopback."}},
            "schemas": {
                "LeafletRequest": leaflet_request,
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                        "detail": {"type": "string", "description": "Every problem, in the CLI's words, joined by '; '."},
                        "errors": {"type": "array", "items": {"type": "object", "properties": {
                            "field": {"type": ["string", "null"]}, "detail": {"type": "string"}}}},
                    },
                },
            },
        },
        "security": [{}, {"token": []}],
        "paths": {
            "/api/leaflets": {"post": {
                "summary": "Render one leaflet as PDF",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LeafletRequest"},
                    "example": {"medicine": next(iter(library.medicines), "dupixent"), "patient_age": 4,
                                "patient_weight": 16, "patient_name": "Zoë Martin", "style": "large-print"}}}},
                "responses": {
                    "200": {"description": "The PDF (Cache-Control: no-store).",
                            "headers": {"X-Leaflet-Pages": {"schema": {"type": "integer"}}},
                            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                    "400": _problem("The body is not a JSON object."),
                    "401": _problem("The server needs its token."),
                    "413": _problem("The body is too large."),
                    "415": _problem("The body is not JSON."),
                    "422": _problem("A field is wrong: `errors` names each field and problem."),
                    "503": _problem("Busy, or the request took too long: try again after Retry-After.", retry),
                },
            }},
            "/api/medicines": {"get": {
                "summary": "The medicines (content files), with their uses and audiences",
                "responses": {"200": {"description": "A list of medicines.", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}}}}}},
            }},
            "/healthz": {"get": {
                "summary": "Health: 200 when medicines are loaded",
                "security": [{}],
                "responses": {"200": {"description": "Healthy."}, "503": {"description": "No medicine loaded."}},
            }},
            "/openapi.json": {"get": {"summary": "This description", "security": [{}],
                                      "responses": {"200": {"description": "OpenAPI 3.1."}}}},
        },
    }

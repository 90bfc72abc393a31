"""Validate API bodies against the official TM Forum Open API v4 definitions (Swagger 2.0).

The swagger files are copies in tests/data/tmf (see its SOURCES.md). Each is loaded whole, so a
definition's `#/definitions/...` references resolve against its own document. Swagger 2.0
definitions are close to JSON Schema draft 4; what draft 4 does not know (`discriminator`,
`example`) is ignored, and additional properties are allowed, as the standard extends objects
through @type/@schemaLocation.
"""

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

TMF_DIR = Path(__file__).resolve().parents[1] / "data" / "tmf"


@functools.cache
def _document(api: str) -> tuple[str, Registry]:
    (path,) = TMF_DIR.glob(f"TMF{api}-*.swagger.json")
    uri = f"urn:tmf:{api}"
    document = json.loads(path.read_text())
    return uri, Registry().with_resource(uri, Resource(contents=document, specification=DRAFT4))


def definition_errors(body: Any, *, api: str, definition: str) -> list[str]:
    """Every way `body` breaks definition `definition` of TMF`api` ("629", "648", ...)."""
    uri, registry = _document(api)
    validator = Draft4Validator(
        {"$ref": f"{uri}#/definitions/{definition}"}, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda error: list(map(str, error.absolute_path)))
    ]


def assert_valid(body: Any, *, api: str, definition: str) -> None:
    """Fail with every error when `body` is not a valid `definition` of TMF`api`."""
    errors = definition_errors(body, api=api, definition=definition)
    if errors:
        raise AssertionError(f"Not a valid TMF{api} {definition}:\n  " + "\n  ".join(errors))


def assert_invalid(body: Any, *, api: str, definition: str) -> None:
    """For testing the validator itself: `body` must break the definition."""
    assert definition_errors(body, api=api, definition=definition), f"expected {body!r} to break TMF{api} {definition}"

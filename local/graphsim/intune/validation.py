"""Write validation as Intune applies it: the restore-time 400s tools meet in the field.

Order matters for fidelity: OData deserialisation errors (unknown `@odata.type`, wrong JSON types)
come before Intune's own checks (read-only fields, scope tags, secrets).
"""

from __future__ import annotations

from typing import Any

from .errors import GraphFailure, intune_bad_request, model_validation_failure
from .spec import TypeSpec

READ_ONLY_ON_CREATE = ("id", "createdDateTime", "lastModifiedDateTime", "modifiedDateTime", "version")
_EDM = {str: "Edm.String", bool: "Edm.Boolean", int: "Edm.Int32", list: "Collection", dict: "Complex"}


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise GraphFailure(400, "BadRequest", "Empty Payload. JSON content expected.")
    return body


def resolve_odata_type(spec: TypeSpec, body: dict[str, Any], *, creating: bool) -> str | None:
    """The concrete type a write names; polymorphic collections need one their model knows."""
    named = body.get("@odata.type")
    if named is not None and not isinstance(named, str):
        raise model_validation_failure("The '@odata.type' annotation must be a string.")
    if not spec.polymorphic:
        if named is not None and named.lstrip("#") != spec.entity:
            raise unresolved_type(named)
        return None
    if named is None:
        if creating and spec.odata_type_required:
            raise model_validation_failure(
                f"Cannot create an instance of the abstract type '{spec.entity}': "
                "the '@odata.type' annotation is missing, "
                "so the type of the resource could not be resolved by the model."
            )
        return spec.default_odata_type()
    if named.lstrip("#") not in spec.subtypes:
        raise unresolved_type(named)
    return "#" + named.lstrip("#")


def unresolved_type(named: str) -> GraphFailure:
    return model_validation_failure(
        f"A type named '{named.lstrip('#')}' could not be resolved by the model. "
        "When a model is available, each type name must resolve to a valid type."
    )


def validate_create(spec: TypeSpec, body: dict[str, Any]) -> None:
    check_schema(spec, body, creating=True)
    present = [
        name for name in READ_ONLY_ON_CREATE if name in body and not (spec.client_ids and name == "id")
    ]
    if present:
        raise intune_bad_request(
            f"Property '{present[0]}' is read-only and is set by the service; "
            "remove it from the create request."
        )
    check_scope_tags(spec, body)
    if body.get("supportsScopeTags") is True:
        raise intune_bad_request(
            "Property 'supportsScopeTags' is read-only; the request must not set it to true."
        )
    if _contains_key(body, "secretReferenceValueId"):
        raise intune_bad_request(
            "secretReferenceValueId is a reference to a secret of another object and cannot be sent "
            "on create; send the plain-text value instead."
        )


def validate_update(spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
    check_schema(spec, changes, creating=False)
    named = changes.get("@odata.type")
    if (
        named is not None
        and stored.get("@odata.type")
        and named.lstrip("#") != stored["@odata.type"].lstrip("#")
    ):
        raise model_validation_failure(
            f"The type '{named.lstrip('#')}' of the update does not match the type of the resource "
            f"'{stored['@odata.type'].lstrip('#')}'."
        )
    check_scope_tags(spec, changes)
    if "id" in changes and changes["id"] != stored.get("id"):
        raise intune_bad_request("Property 'id' cannot be changed.")


def check_scope_tags(spec: TypeSpec, body: dict[str, Any]) -> None:
    if spec.scope_tags is None or spec.scope_tags not in body:
        return
    tags = body[spec.scope_tags]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise _type_error(spec.scope_tags, tags, "Collection(Edm.String)")
    if not tags:
        raise intune_bad_request(
            f'{spec.scope_tags} must contain at least one scope tag id; use ["0"] for the Default scope tag.'
        )


def check_schema(spec: TypeSpec, body: dict[str, Any], *, creating: bool) -> None:
    for name, (expected, required) in spec.schema.items():
        if name not in body:
            if creating and required:
                raise intune_bad_request(f"The property '{name}' is required on {spec.entity}.")
            continue
        value = body[name]
        if value is None:
            if required:
                raise intune_bad_request(f"The property '{name}' of {spec.entity} cannot be null.")
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise _type_error(name, value, _EDM[expected])


def _type_error(name: str, value: Any, edm: str) -> GraphFailure:
    return GraphFailure(
        400,
        "BadRequest",
        f"Cannot convert the literal '{value}' to the expected type '{edm}' of property '{name}'.",
    )


def _contains_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        if value.get(key) is not None:
            return True
        return any(_contains_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_contains_key(item, key) for item in value)
    return False

"""What the resolver considered for a song, as the JSON the item stores (the console shows it).

The same object ``MessageToDict(..., preserving_proto_field_name=True,
always_print_fields_with_no_presence=True)`` gives for this flat message of scalars — every field,
64-bit integers as strings, repeated fields as lists — at a fifth of its cost: a song carries a
few dozen of them and ``MessageToDict`` was a tenth of the scheduler's CPU per download.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.descriptor import FieldDescriptor

from catalogsync.v1 import resolver_pb2

JsonScalar = str | int | float | bool
_INT64 = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
_FIELDS = tuple(
    (field.name, field.type in _INT64, field.is_repeated)
    for field in resolver_pb2.ConsideredCandidate.DESCRIPTOR.fields
)


def considered_json(
    considered: Iterable[resolver_pb2.ConsideredCandidate],
) -> list[dict[str, JsonScalar | list[JsonScalar]]]:
    """Each considered result as a JSON object (field name → value)."""
    out: list[dict[str, JsonScalar | list[JsonScalar]]] = []
    for item in considered:
        row: dict[str, JsonScalar | list[JsonScalar]] = {}
        for name, is_int64, repeated in _FIELDS:
            value = getattr(item, name)
            if repeated:
                row[name] = [str(v) for v in value] if is_int64 else list(value)
            else:
                row[name] = str(value) if is_int64 else value
        out.append(row)
    return out

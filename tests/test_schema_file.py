"""schema.graphql is the exported SDL, and the SDL documents itself."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_the_code() -> None:
    on_disk = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == schema.as_str() + "\n", "schema.graphql is stale: run `make schema`"


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in graphql_type.values.items() if not d.description]
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []

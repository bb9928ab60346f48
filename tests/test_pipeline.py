"""The schema runs one extension (schema/pipeline.py), not eight: each hook Strawberry
dispatches costs per operation whatever it does. Counted, not timed."""

from __future__ import annotations

from strawberry.extensions import SchemaExtension

from api.settings import Settings
from schema import build_schema
from schema.pipeline import RequestPipeline

HOOKS = ("on_operation", "on_parse", "on_validate", "on_execute", "on_stream_result")


def test_one_extension_with_five_hooks() -> None:
    for settings in (Settings(), Settings(graphql_caches=False, debug=True)):
        extensions = build_schema(settings).extensions
        assert len(extensions) == 1
        extension = extensions[0]()  # a factory, as Strawberry wants
        assert isinstance(extension, RequestPipeline)
    overridden = [
        name
        for name in dir(SchemaExtension)
        if name.startswith("on_")
        and getattr(RequestPipeline, name) is not getattr(SchemaExtension, name)
    ]
    assert sorted(overridden) == sorted(HOOKS)

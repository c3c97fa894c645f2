"""JSON Schemas of the ruleset files, for editors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from misec_rules.sharing._model import RulesetFile, RulesFile, ScenarioFile

__all__ = ["SCHEMA_KINDS", "ruleset_json_schema"]

SCHEMA_KINDS: dict[str, type[BaseModel]] = {
    "ruleset": RulesetFile,
    "rules": RulesFile,
    "scenarios": ScenarioFile,
}


def ruleset_json_schema(kind: str = "ruleset") -> dict[str, Any]:
    """The JSON Schema of ``ruleset.yaml`` (``kind="ruleset"``), ``rules/*.yaml``
    (``"rules"``) or scenario files (``"scenarios"``).

    Raises
    ------
    KeyError
        ``kind`` is not one of those three.
    """
    model = SCHEMA_KINDS[kind]
    schema: dict[str, Any] = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return schema

"""Reading one section of a world's config: the part every rule set shares."""

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from mindshare.core._errors import ConfigurationError


def world_config_section(
    config: Mapping[str, Any] | None, key: str, rules: type
) -> dict[str, Any] | None:
    """The ``key`` section of a world config, checked against the fields of ``rules``.

    ``None`` when the world does not set the section (the rules' defaults apply); a
    section that is not an object, or names a setting ``rules`` does not have, is a
    ``ConfigurationError`` that lists the known settings.
    """
    section = (config or {}).get(key)
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise ConfigurationError(
            f"the world config's {key!r} must be an object, not {type(section).__name__}"
        )
    known = {field.name for field in fields(rules)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown {key} setting(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    return dict(section)

"""Viewability rules: when a view counts as attention, and for how long at most."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mindshare.core import ConfigurationError, world_config_section


@dataclass(frozen=True, slots=True)
class AttentionRules:
    """When a view counts, and the most one view can count for.

    The defaults follow the IAB/MRC display viewability rule (at least half the
    item in view for at least one second); a world may set its own in its config.

    Parameters
    ----------
    min_visible_fraction
        Least fraction of the item that must be in view, in [0, 1].
    min_view_ms
        Least dwell, in milliseconds, for a view to count at all.
    max_view_ms
        Dwell beyond this is not counted (an open tab is not attention).
    """

    min_visible_fraction: float = 0.5
    min_view_ms: int = 1_000
    max_view_ms: int = 600_000

    def __post_init__(self) -> None:
        fraction = self.min_visible_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ConfigurationError(
                f"min_visible_fraction must be a number, not {type(fraction).__name__}"
            )
        if not 0.0 <= fraction <= 1.0:
            raise ConfigurationError(
                f"min_visible_fraction must lie between 0 and 1, got {fraction!r}"
            )
        for name in ("min_view_ms", "max_view_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigurationError(
                    f"{name} must be a whole number of milliseconds, got {value!r}"
                )
        if self.min_view_ms < 0:
            raise ConfigurationError(f"min_view_ms must not be negative, got {self.min_view_ms}")
        if self.max_view_ms <= 0:
            raise ConfigurationError(f"max_view_ms must be positive, got {self.max_view_ms}")
        if self.max_view_ms < self.min_view_ms:
            raise ConfigurationError(
                f"max_view_ms ({self.max_view_ms}) must not be below "
                f"min_view_ms ({self.min_view_ms}): no view could count"
            )

    @classmethod
    def from_world_config(cls, config: Mapping[str, Any] | None) -> "AttentionRules":
        """The rules a world's config sets under ``"attention"``; defaults for keys it omits."""
        section = world_config_section(config, "attention", cls)
        return cls() if section is None else cls(**section)

"""The ``generic`` preset: any tool-calling dataset without benchmark-specific rules.

Instructions are user messages and responses; KND uses every pair type that has pairs; AM uses
the numeric attributes plus whatever ``attributes`` the trajectories carry; AD uses the attributes
listed in the config (default: every categorical attribute present in all trajectories). Validity
and downstream targets apply when the data has tool calls / outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from synae.presets.base import Preset
from synae.schema import Trajectory


class GenericPreset(Preset):
    name = "generic"

    def am_attribute_names(self, trajectories: Sequence[Trajectory] = ()) -> list[str]:
        stored = dict.fromkeys(k for t in trajectories for k in t.attributes)
        return [*self.am_attributes, *(k for k in stored if k not in self.am_attributes)]

"""The model that ships with the package (``model.json`` beside this module).

The one read in ``detect/``: the package's own immutable data through importlib.resources, like importing a
constant (no user path, no config). Detectors still take the model as an argument, so the service loads it
once and tests pass their own.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from inframind.analyzer.detect.failure.model import DiskModel

MODEL_RESOURCE = "model.json"


@functools.cache
def shipped_model() -> DiskModel:
    text = resources.files(__package__).joinpath(MODEL_RESOURCE).read_text(encoding="utf-8")
    return DiskModel.from_dict(json.loads(text))

"""Load a script that is not part of a package (deploy/local/*.py, which `./tw` runs by path) as a module, once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_script(path: Path) -> ModuleType:
    key = "tradewire_script_" + "_".join(path.resolve().with_suffix("").parts[-2:])
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        assert spec and spec.loader, f"cannot load {path}"
        sys.modules[key] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[key]

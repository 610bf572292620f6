"""Write the JSON Schema of every message to a folder (`just schemas`), or check that it is current.

python -m tradewire_schemas.export shared/schemas/jsonschema           # write
python -m tradewire_schemas.export shared/schemas/jsonschema --check   # exit 1 on drift
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter

from tradewire_schemas.commands import Command
from tradewire_schemas.events import Event
from tradewire_schemas.policy import EVENT_CLASSES, type_of
from tradewire_schemas.wire import Envelope

# One file per message class, named by its `type`, read from the unions: a new message needs no entry here.
COMMAND_CLASSES: tuple[type[BaseModel], ...] = get_args(get_args(Command)[0])
MODELS: dict[str, type[BaseModel]] = {
    **{f"events/{type_of(cls)}": cls for cls in EVENT_CLASSES},
    **{f"commands/{cls.model_fields['type'].default}": cls for cls in COMMAND_CLASSES},
    "envelope": Envelope,
}
UNIONS: dict[str, Any] = {"event": Event, "command": Command}


def rendered() -> dict[str, str]:
    """File name -> JSON text, for every model and both unions."""
    schemas: dict[str, dict[str, Any]] = {
        name: model.model_json_schema(mode="serialization") for name, model in MODELS.items()
    }
    schemas.update({name: TypeAdapter(union).json_schema(mode="serialization") for name, union in UNIONS.items()})
    return {f"{name}.json": json.dumps(schema, indent=2, sort_keys=True) + "\n" for name, schema in schemas.items()}


def drift(folder: Path) -> list[str]:
    """Names of files that are missing, stale or no longer produced."""
    expected = rendered()
    problems = [
        name for name, text in expected.items() if not (folder / name).is_file() or (folder / name).read_text() != text
    ]
    present = {str(p.relative_to(folder)) for p in folder.rglob("*.json")} if folder.is_dir() else set()
    problems += sorted(present - expected.keys())
    return problems


def write(folder: Path) -> None:
    for stale in folder.rglob("*.json") if folder.is_dir() else []:
        stale.unlink()
    for name, text in rendered().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift(args.folder)
        for name in problems:
            print(f"out of date: {args.folder / name} (run `just schemas`)", file=sys.stderr)
        return 1 if problems else 0
    write(args.folder)
    print(f"wrote {len(rendered())} schemas to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

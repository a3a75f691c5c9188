"""Render alertmanager/alertmanager.yml with the container's environment, for Alertmanager in compose stacks.

`inframind up` renders the template itself; in Docker a one-shot container of the analyzer image does it
into a volume that only it and Alertmanager mount. The file is written 0644 because Alertmanager runs as
another user (nobody) than this container; the volume, not the file mode, keeps the tokens private.
Prints which receivers are on and which variables the others lack.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from inframind.stack.alertmanager import RenderError, render_file
from inframind.stack.files import write_atomic

SHARED_READABLE = 0o644


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: render_alertmanager.py TEMPLATE OUTPUT", file=sys.stderr)
        return 2
    template, output = Path(argv[0]), Path(argv[1])
    try:
        rendered = render_file(template, os.environ)
    except RenderError as exc:
        print(f"alertmanager config: {exc}", file=sys.stderr)
        return 1
    write_atomic(output, rendered.text, mode=SHARED_READABLE)
    print(f"wrote {output}; receivers on: {', '.join(rendered.enabled)}")
    for receiver, missing in sorted(rendered.disabled.items()):
        print(f"receiver {receiver} is off: set {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

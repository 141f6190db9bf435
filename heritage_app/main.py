"""``heritage-app``: the desktop window (built in the app issue; until then, a summary)."""

from __future__ import annotations

import sys

from .cli import main as cli_main


def main() -> int:
    args = sys.argv[1:]
    archive = args[args.index("--archive") + 1] if "--archive" in args else None
    return cli_main((["--archive", archive] if archive else []) + ["summary"])


if __name__ == "__main__":
    sys.exit(main())

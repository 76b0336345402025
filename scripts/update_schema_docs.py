"""Rewrite docs/schema.md's generated blocks (table and view sections, example queries) from interpdb.schema_docs.

.venv/bin/python scripts/update_schema_docs.py          # rewrite in place
.venv/bin/python scripts/update_schema_docs.py --check  # exit 1 if out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from interpdb.schema_docs import update_markdown

SCHEMA_MD = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


def main(argv: list[str]) -> int:
    text = SCHEMA_MD.read_text(encoding="utf-8")
    updated = update_markdown(text)
    if "--check" in argv:
        if updated != text:
            print(f"{SCHEMA_MD} is out of date: run scripts/update_schema_docs.py", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        SCHEMA_MD.write_text(updated, encoding="utf-8")
        print(f"rewrote {SCHEMA_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

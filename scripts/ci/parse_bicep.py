"""Parse every .bicep file with pycep, so a syntax error fails CI on a machine without the Bicep CLI.

pycep's grammar lags behind Bicep's, so this is a parser check, not a compiler: the deploy workflow
still runs `az bicep build` / `az bicep lint`. Exit 1 naming every file that does not parse.
"""
import sys
from pathlib import Path

from pycep import BicepParser  # type: ignore[import-untyped]


def main(root: Path) -> int:
    parser = BicepParser()
    files = sorted(p for p in root.rglob("*.bicep") if not any(part.startswith(".") for part in p.parts))
    failed = []
    for path in files:
        try:
            tree = parser.parse(file_path=path)
        except Exception as error:  # pycep raises lark's exception types; any of them means "does not parse"
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            failed.append(f"{path}: {first}")
            continue
        if not isinstance(tree, dict) or not tree:
            failed.append(f"{path}: parsed to nothing")
    for line in failed:
        print(f"pycep: {line}", file=sys.stderr)
    print(f"pycep: {len(files) - len(failed)}/{len(files)} .bicep files parse")
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bicep")))

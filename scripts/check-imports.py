#!/usr/bin/env python3
"""Every target declares what it imports, and imports what it declares: compares each target's
`import` lines with its dependencies in Package.swift (`swift package dump-package`). Modules of
the toolchain (Foundation, Glibc, Testing, …) need no declaration. And the layers hold: every
source target appears in the README's Layout table, and imports only targets listed before it.
Exit status 1 on any mismatch."""
import glob
import json
import os
import re
import subprocess
import sys

TOOLCHAIN = {"Foundation", "FoundationEssentials", "Glibc", "Darwin", "Dispatch", "Testing", "XCTest",
             "Synchronization", "_Concurrency", "os"}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)

def layout_order():
    """Position of each module in README "## Layout" (row, then place in the row)."""
    text = open(os.path.join(root, "README.md")).read()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    order = {}
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    for row_index, row in enumerate(rows):
        first_cell = row.split("|")[1]
        for place, name in enumerate(re.findall(r"`([^`]+)`", first_cell)):
            order[name] = (row_index, place)
    return order


order = layout_order()
own = {t["name"] for t in package["targets"]}
problems = []
for target in package["targets"]:
    if target["type"] in ("system", "plugin", "binary"):
        continue
    default = "Tests" if target["type"] == "test" else "Sources"
    path = os.path.join(root, target.get("path") or os.path.join(default, target["name"]))
    declared = set()
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        declared.add(value[0])
    imported = set()
    for source in glob.glob(os.path.join(path, "**", "*.swift"), recursive=True):
        for match in re.finditer(r"^\s*(?:@testable\s+|@preconcurrency\s+|(?:public|internal|package)\s+)*import\s+(?:struct\s+|enum\s+|class\s+|func\s+)?(\w+)",
                                 open(source).read(), re.M):
            imported.add(match.group(1))
    if target["type"] != "test" and not (target.get("path") or "").startswith("Tests"):
        name = target["name"]
        # Executables appear under their product names.
        listed = name if name in order else next((p["name"] for p in package["products"] if name in p["targets"]), name)
        if listed not in order:
            problems.append(f"{name}: missing from the README's Layout table")
        else:
            for module in sorted(imported & own):
                if module in order and order[module] >= order[listed]:
                    problems.append(f"{name} imports {module}, which the README's Layout lists at or after it")
    undeclared = sorted(imported - declared - TOOLCHAIN - {target["name"]})
    unused = sorted(declared - imported)
    if undeclared:
        problems.append(f"{target['name']}: imports {', '.join(undeclared)} without declaring it in Package.swift")
    if unused:
        problems.append(f"{target['name']}: declares {', '.join(unused)} but never imports it")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)

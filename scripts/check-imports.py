#!/usr/bin/env python3
"""Every target declares what it imports, and imports what it declares: compares each target's
`import` lines with its dependencies in Package.swift (`swift package dump-package`). Modules of
the toolchain (Foundation, Glibc, Testing, …) need no declaration. Exit status 1 on a mismatch."""
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
    undeclared = sorted(imported - declared - TOOLCHAIN - {target["name"]})
    unused = sorted(declared - imported)
    if undeclared:
        problems.append(f"{target['name']}: imports {', '.join(undeclared)} without declaring it in Package.swift")
    if unused:
        problems.append(f"{target['name']}: declares {', '.join(unused)} but never imports it")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)

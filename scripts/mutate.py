#!/usr/bin/env python3
"""`make mutate`: plants realistic bugs (scripts/mutants.json) one at a time and runs the suites
against each. A mutant is *killed* when a suite fails, *survived* when all pass, *build-error*
when it does not compile (counted apart: a bug the compiler catches says nothing of the tests),
and *stale* when its `find` snippet no longer matches exactly once in Sources/**/*.swift.

Mutants are located by snippet, never by path (files move). The source file is always restored,
also on Ctrl-C or an exception; the runner refuses to start on a dirty Sources tree.

    python3 scripts/mutate.py [--only ID,...] [--list] [--swift-only]

Writes build/mutate/latest.json and prints a table and the score killed / (killed + survived)."""
import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MUTANTS = os.path.join(ROOT, "scripts", "mutants.json")
OUT_DIR = os.path.join(ROOT, "build", "mutate")
SWIFT = os.environ.get("SWIFT", "swift")
PYTHON = os.environ.get("MUTATE_PYTHON", os.path.join(ROOT, "build", "venv", "bin", "python"))
BUILD_FLAGS = os.environ.get("BUILD_FLAGS", "").split()


def swift_sources():
    return sorted(glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True))


def locate(find):
    """[(path, count)] of the files holding `find`; the mutant is usable when the total is 1."""
    hits = []
    for path in swift_sources():
        with open(path, encoding="utf-8") as f:
            count = f.read().count(find)
        if count:
            hits.append((path, count))
    return hits


def load_mutants():
    with open(MUTANTS, encoding="utf-8") as f:
        mutants = json.load(f)
    ids = [m["id"] for m in mutants]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        sys.exit(f"mutate: duplicate mutant ids in {MUTANTS}: {sorted(duplicates)}")
    for m in mutants:
        missing = {"id", "description", "find", "replace"} - set(m)
        if missing:
            sys.exit(f"mutate: mutant {m.get('id', '?')} lacks {sorted(missing)}")
        if m["find"] == m["replace"]:
            sys.exit(f"mutate: mutant {m['id']} replaces its snippet with itself")
    return mutants


def run(cmd, env=None, timeout=None, log=None):
    started = time.monotonic()
    with open(log, "w") if log else open(os.devnull, "w") as out:
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                  start_new_session=True)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    return rc, time.monotonic() - started


def bin_dir():
    out = subprocess.run([SWIFT, "build", *BUILD_FLAGS, "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_env():
    return dict(os.environ, FITCHAT_BIN_DIR=bin_dir())


def evaluate(mutant, swift_only, logs):
    """Builds and tests the tree as it is now; returns (outcome, killer, seconds per step)."""
    times = {}
    rc, times["build"] = run([SWIFT, "build", *BUILD_FLAGS, "--build-tests"], log=os.path.join(logs, "build.log"))
    if rc != 0:
        return "build-error", None, times
    env = test_env()
    rc, times["swift"] = run([SWIFT, "test", *BUILD_FLAGS, "--skip-build", "--parallel", "--num-workers", "2"],
                             env=env, timeout=1800, log=os.path.join(logs, "swift-test.log"))
    if rc != 0:
        return "killed", f"swift test ({rc})", times
    if swift_only:
        return "survived-swift", None, times
    rc, times["python"] = run([PYTHON, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "Tests/interop", "Tests/e2e"],
                              env=env, timeout=3600, log=os.path.join(logs, "pytest.log"))
    if rc != 0:
        return "killed", f"pytest ({rc})", times
    return "survived", None, times


class Applied:
    """Applies a mutant and restores the file on exit, whatever happens (Ctrl-C, SIGTERM, errors)."""

    def __init__(self, path, find, replace):
        self.path, self.find, self.replace = path, find, replace

    def __enter__(self):
        with open(self.path, encoding="utf-8") as f:
            self.original = f.read()
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(self.original.replace(self.find, self.replace, 1))
        return self

    def __exit__(self, *exc):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(self.original)
        return False


def dirty_sources():
    return subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "Sources"], cwd=ROOT).returncode != 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants and whether each snippet matches once")
    parser.add_argument("--swift-only", action="store_true", help="run only the Swift suites (faster; survivors are provisional)")
    args = parser.parse_args()

    mutants = load_mutants()
    if args.only:
        wanted = [i.strip() for i in args.only.split(",") if i.strip()]
        unknown = set(wanted) - {m["id"] for m in mutants}
        if unknown:
            sys.exit(f"mutate: unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in wanted]

    if args.list:
        for m in mutants:
            hits = locate(m["find"])
            total = sum(c for _, c in hits)
            where = ", ".join(os.path.relpath(p, ROOT) for p, _ in hits) or "-"
            state = "ok" if total == 1 else f"STALE ({total} matches)"
            print(f"{m['id']:<34} {state:<18} {where}\n    {m['description']}")
        return 0

    if dirty_sources():
        sys.exit("mutate: Sources has uncommitted changes; commit or stash them first (the runner restores files "
                 "to what they were, and must not mix your edits with its mutants)")

    # SIGTERM becomes an exception so that `Applied` restores the file.
    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    os.makedirs(OUT_DIR, exist_ok=True)
    results = []
    started = time.monotonic()
    try:
        for index, m in enumerate(mutants, 1):
            hits = locate(m["find"])
            total = sum(c for _, c in hits)
            logs = os.path.join(OUT_DIR, m["id"])
            os.makedirs(logs, exist_ok=True)
            if total != 1:
                where = ", ".join(f"{os.path.relpath(p, ROOT)}×{c}" for p, c in hits) or "nowhere"
                print(f"[{index}/{len(mutants)}] {m['id']}: stale mutant: its snippet matches {total} times ({where})",
                      flush=True)
                results.append({"id": m["id"], "outcome": "stale", "matches": total, "description": m["description"]})
                continue
            path = hits[0][0]
            print(f"[{index}/{len(mutants)}] {m['id']} in {os.path.relpath(path, ROOT)} …", end=" ", flush=True)
            t0 = time.monotonic()
            with Applied(path, m["find"], m["replace"]):
                outcome, killer, times = evaluate(m, args.swift_only, logs)
            seconds = time.monotonic() - t0
            print(f"{outcome}{' by ' + killer if killer else ''} ({seconds:.0f} s)", flush=True)
            results.append({"id": m["id"], "outcome": outcome, "killed_by": killer, "file": os.path.relpath(path, ROOT),
                            "seconds": round(seconds, 1), "steps": {k: round(v, 1) for k, v in times.items()},
                            "description": m["description"]})
    except KeyboardInterrupt as stop:
        print(f"\nmutate: interrupted ({stop}); the source file was restored", flush=True)
    finally:
        if dirty_sources():
            print("mutate: WARNING: Sources differs from HEAD after the run", file=sys.stderr)
        # Rebuild the unmutated tree so the next `make test` does not test the last mutant's objects.
        if results:
            run([SWIFT, "build", *BUILD_FLAGS, "--build-tests"], log=os.path.join(OUT_DIR, "restore-build.log"))

    killed = sum(r["outcome"] == "killed" for r in results)
    survived = sum(r["outcome"] in ("survived", "survived-swift") for r in results)
    score = killed / (killed + survived) if killed + survived else None
    print()
    print(f"{'mutant':<34} {'outcome':<15} {'killed by':<18} {'s':>5}")
    for r in results:
        print(f"{r['id']:<34} {r['outcome']:<15} {r.get('killed_by') or '':<18} {r.get('seconds', 0):>5.0f}")
    counts = {o: sum(r["outcome"] == o for r in results) for o in ("killed", "survived", "survived-swift", "build-error", "stale")}
    print("\n" + ", ".join(f"{k}: {v}" for k, v in counts.items() if v))
    if score is not None:
        print(f"score: {killed} / {killed + survived} = {score:.0%} killed"
              + (" (Swift suites only: survivors may still die in the Python suites)" if args.swift_only else ""))
    summary = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "swift_only": args.swift_only,
               "seconds": round(time.monotonic() - started, 1), "counts": counts,
               "score": score, "mutants": results}
    with open(os.path.join(OUT_DIR, "latest.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"written: {os.path.relpath(os.path.join(OUT_DIR, 'latest.json'), ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

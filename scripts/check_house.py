#!/usr/bin/env python3
"""The house rules, checked (docs/hacking.md says why each exists).

  1. Layers: each folder includes only what it may. runtime/ knows nothing of
     plotting, the kernel, ZeroMQ or cairo; plotting/ nothing of ours; kernel/
     and cli/ reach the runtime only through its public headers
     (runtime/include/) and plotting only through plot.h.
  2. Private headers (the one marker: a name ending in _int.h) are included
     only by their own folder, and by tests/ and bench/.
  3. No C file over 1,500 lines.
  4. Comments and docs name only files that exist.
  5. Nothing names a path outside the repository.

Prints every breach as FILE:LINE: what, and exits 1 if there is one; run from
anywhere. CTest runs it as `house`.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 1500

# Headers from outside the project that a folder may not include.
FOREIGN = {
    "runtime": re.compile(r"^(zmq|czmq|cairo|cairo-\w+|plot\w*|kn_\w+)\.h$"),
    "plotting": re.compile(r"^(zmq|czmq|jansson|curl/.*|rt_\w+|dsl\w*|kn_\w+)\.h$"),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def tracked():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [p for p in out.splitlines() if os.path.exists(os.path.join(ROOT, p))]


def read_lines(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def folder(path):
    return path.split("/", 1)[0]


def check_includes(path, lines, headers, public_runtime, breaches):
    top = folder(path)
    for n, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        name = os.path.basename(m.group(1))
        home = headers.get(name)
        where = "%s:%d" % (path, n)
        if top in FOREIGN and FOREIGN[top].match(name):
            breaches.append("%s: %s/ may not include %s" % (where, top, name))
        if home is None:
            continue
        home_top = folder(home)
        if name.endswith("_int.h") and home_top != top and top not in ("tests", "bench"):
            breaches.append("%s: %s is private to %s/" % (where, name, home_top))
        if top in ("kernel", "cli") and home_top == "runtime" and name not in public_runtime:
            breaches.append("%s: %s/ may use only the runtime's public headers "
                            "(runtime/include/), not %s" % (where, top, home))
        if top in ("kernel", "cli") and home_top == "plotting" and name != "plot.h":
            breaches.append("%s: %s/ may use only plot.h of plotting/, not %s"
                            % (where, top, name))
        if top == "runtime" and home_top in ("kernel", "plotting", "cli"):
            breaches.append("%s: runtime/ may not include %s" % (where, home))
        if top == "plotting" and home_top in ("kernel", "runtime", "cli"):
            breaches.append("%s: plotting/ may not include %s" % (where, home))


# A file a comment or a doc names: a path, or a name with one of our prefixes.
NAMED = re.compile(r"(?<![\w./-])((?:[\w-]+/)*(?:rt|dsl|kn|plot|test|fuzz|cmd|cli)_?\w*\.(?:c|h))\b"
                   r"|(?<![\w./-])((?:runtime|kernel|cli|plotting|tests|bench|docs|scripts|notebooks|kernelspec)/[\w./-]*\w)")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def named_in(path, text):
    """(line, name) of each file named in text: comments of C, all of Markdown."""
    if path.endswith((".c", ".h")):
        spans = [(m.start(), m.group(0)) for m in COMMENT.finditer(text)]
    else:
        spans = [(0, text)]
    for start, chunk in spans:
        for m in NAMED.finditer(chunk):
            name = m.group(1) or m.group(2)
            if re.search(r"[A-Z]{3,}", name):
                continue  # a placeholder: tests/dsl/NAME.test
            line = text.count("\n", 0, start + m.start()) + 1
            yield line, name.rstrip(".")


def check_names(path, text, files, basenames, breaches):
    for line, name in named_in(path, text):
        if "/" in name:
            if any(ch in name for ch in "*<>{}") or name.endswith("/"):
                continue
            stem = re.sub(r"\.\{[^}]*\}$", "", name)  # kernel/kn_live.{h,c}
            if name in files or any(f.startswith(name + "/") or f.startswith(stem + ".")
                                    for f in files):
                continue
            # generated or run-time paths that are documented, not tracked
            if name.startswith(("build", "bench/out", ".eddy-demo")):
                continue
            breaches.append("%s:%d: names %s, which does not exist" % (path, line, name))
        elif os.path.basename(name) not in basenames:
            breaches.append("%s:%d: names %s, which does not exist" % (path, line, name))


# In docs, any absolute path but the system's; everywhere, a machine's own
# folders or the steering notes beside the repository.
DOC_OUTSIDE = re.compile(r"(?:^|[\s`(\"'=])(/(?!usr/|etc/|proc/|dev/|tmp/|sys/|var/|bin/|opt/|run/|lib/)"
                         r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)")
ANY_OUTSIDE = re.compile(r"((?<![\w.])/(?:work|root|home)/[\w.-]+|\.\./shared\b)")


def check_outside(path, lines, breaches):
    doc = path.endswith(".md")
    for n, line in enumerate(lines, 1):
        hits = [m.group(1) for m in ANY_OUTSIDE.finditer(line)]
        if doc:
            hits += [m.group(1) for m in DOC_OUTSIDE.finditer(line)]
        for what in sorted(set(hits)):
            breaches.append("%s:%d: names %s, outside the repository" % (path, n, what))


def main():
    files = tracked()
    fileset = set(files)
    basenames = {os.path.basename(f) for f in files}
    headers = {os.path.basename(f): f for f in files if f.endswith(".h")}
    public_runtime = {os.path.basename(f) for f in files if f.startswith("runtime/include/")}
    breaches = []
    for path in files:
        top = folder(path)
        is_c = path.endswith((".c", ".h"))
        if is_c:
            lines = read_lines(path)
            if len(lines) > MAX_LINES and top != "tests":
                breaches.append("%s: %d lines; split it (the limit is %d)"
                                % (path, len(lines), MAX_LINES))
            check_includes(path, lines, headers, public_runtime, breaches)
            check_names(path, "\n".join(lines), fileset, basenames, breaches)
            check_outside(path, lines, breaches)
        elif path.endswith(".md"):
            lines = read_lines(path)
            check_names(path, "\n".join(lines), fileset, basenames, breaches)
            check_outside(path, lines, breaches)
        elif path.endswith((".py", ".sh", ".txt", ".json", ".cmake")) or top == "scripts":
            if path != "scripts/check_house.py":
                check_outside(path, read_lines(path), breaches)
    for b in breaches:
        print(b)
    print("house: %d files checked, %d breaches" % (len(files), len(breaches)))
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())

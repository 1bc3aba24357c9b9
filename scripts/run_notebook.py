#!/usr/bin/python3
"""Executes a notebook with nbclient (Debian's python3-nbclient) and writes the
executed copy plus every PNG it displayed, so a headless run leaves something
a person can look at.

usage: run_notebook.py IN.ipynb OUT.ipynb PNG_DIR
"""
import base64
import os
import sys

import nbformat
from nbclient import NotebookClient


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, png_dir = argv[1:]
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="eddy",
                            resources={"metadata": {"path": os.path.dirname(src) or "."}})
    client.execute()
    nbformat.write(nb, dst)
    os.makedirs(png_dir, exist_ok=True)
    count = 0
    for i, cell in enumerate(nb.cells):
        for j, out in enumerate(cell.get("outputs", [])):
            png = out.get("data", {}).get("image/png")
            if png:
                path = os.path.join(png_dir, f"cell{i:02d}-{j}.png")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(png))
                count += 1
    print(f"run_notebook: {len(nb.cells)} cells, {count} charts written to {png_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Executes a notebook with nbclient (Debian's python3-nbclient) and writes the
executed copy plus every PNG it displayed, so a headless run leaves something
a person can look at.

Live cells (endless queries) finish at once and keep redrawing their chart
with update_display_data after their cell is done. Plain nbclient drops those
(it only reads messages of the cell it is running); LiveNotebookClient applies
them to the cell that owns the display, so the saved notebook holds the last
picture of every live chart. Before the first cell that starts with `%queries`
or `%stop` it waits LINGER seconds (default 15) while the live charts redraw;
from a `%stop` cell on it keeps the pictures as they are: what a stop draws
last (windows cut short) is not saved.

usage: run_notebook.py [--linger SECONDS] IN.ipynb OUT.ipynb PNG_DIR
"""
import asyncio
import base64
import os
import queue
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async

DISPLAY_TYPES = ("display_data", "update_display_data")


class LiveNotebookClient(NotebookClient):
    """NotebookClient that keeps applying live display updates of finished cells.

    self.redraws maps a cell index to the number of display messages seen for it,
    self.first_png to the first PNG it showed. Before the first %queries or %stop cell it
    lingers `linger` seconds applying redraws, or less if `linger_until(self)` (checked as
    messages come) turns true first."""

    def __init__(self, nb, linger=15.0, linger_until=None, **kw):
        super().__init__(nb, **kw)
        self.linger = linger
        self.linger_until = linger_until
        self.parents = {}   # execute_request msg_id -> cell index
        self.redraws = {}   # cell index -> display messages seen (first + updates)
        self.first_png = {}  # cell index -> the first PNG (base64) it displayed
        self.frozen = False  # set at %stop: earlier cells' pictures stay as they are
        self.lingered = False

    def _note_display(self, cell_index, msg):
        if msg["msg_type"] in DISPLAY_TYPES:
            self.redraws[cell_index] = self.redraws.get(cell_index, 0) + 1
            png = msg["content"].get("data", {}).get("image/png")
            if png:
                self.first_png.setdefault(cell_index, png)

    def _apply_other(self, msg):
        """A message parented to an earlier cell: a live display's first picture or a redraw."""
        idx = self.parents.get(msg["parent_header"].get("msg_id"))
        if idx is None or msg["msg_type"] not in DISPLAY_TYPES:
            return
        self._note_display(idx, msg)
        if self.frozen:
            return
        content = msg["content"]
        display_id = content.get("transient", {}).get("display_id")
        if display_id and display_id in self._display_id_map:
            self._update_display_id(display_id, msg)
            return
        # first picture of a display that appeared after its cell finished
        msg["header"]["msg_type"] = msg["msg_type"] = "display_data"
        cell = self.nb.cells[idx]
        self.output(cell.outputs, msg, display_id, idx)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self.parents[parent_msg_id] = cell_index
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                self._note_display(cell_index, msg)
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            else:
                self._apply_other(msg)

    async def _async_linger(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or (self.linger_until and self.linger_until(self)):
                return
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=left))
            except (queue.Empty, asyncio.TimeoutError):
                return
            self._apply_other(msg)

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        source = cell.source.lstrip() if cell.cell_type == "code" else ""
        if source.startswith(("%queries", "%stop")) and not self.lingered:
            self.lingered = True
            await self._async_linger(self.linger)
        if source.startswith("%stop"):
            self.frozen = True
        return await super().async_execute_cell(cell, cell_index, execution_count,
                                                store_history)


def write_pngs(nb, png_dir):
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
    return count


def main(argv):
    args = argv[1:]
    linger = 15.0
    if len(args) >= 2 and args[0] == "--linger":
        linger = float(args[1])
        args = args[2:]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, png_dir = args
    nb = nbformat.read(src, as_version=4)
    client = LiveNotebookClient(nb, linger=linger, timeout=120, kernel_name="eddy",
                                resources={"metadata": {"path": os.path.dirname(src) or "."}})
    try:
        client.execute()
    except BaseException as e:
        # SIGINT/SIGTERM: nbclient shuts the kernel down and cancels the run; say so
        # in one line instead of its chain of tracebacks
        cause = e
        while cause is not None and not isinstance(cause, asyncio.CancelledError):
            cause = cause.__context__
        if cause is None:
            raise
        print("run_notebook: stopped by a signal; the kernel is shut down", file=sys.stderr)
        return 130
    nbformat.write(nb, dst)
    count = write_pngs(nb, png_dir)
    live = ", ".join(f"cell {i}: {n}" for i, n in sorted(client.redraws.items()) if n > 1)
    print(f"run_notebook: {len(nb.cells)} cells, {count} charts written to {png_dir}"
          + (f"; displays per live cell: {live}" if live else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

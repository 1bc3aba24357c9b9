"""Eddy is a real Jupyter kernel: protocol tests through Debian's jupyter_client 7.4.9.

The kernelspec is installed by `$EDDY_BIN install --prefix TMP` into a private JUPYTER_PATH and the
kernel is started from it by jupyter_client's KernelManager, exactly as Jupyter does. Raw ZeroMQ
sockets (pyzmq) send hand-made frames: forged signatures, malformed frames, huge messages.

The generic checks live in ProtocolChecks and run against any kernel; they are validated against
Debian's ipykernel with

    EDDY_TEST_IPYKERNEL=1 /usr/bin/python3 -m unittest -v test_protocol

(IPyKernelProtocolTests, IPyKernelLifecycleTests), which is how this harness was proven before
the C kernel answered.
"""

import json
import os
import signal
import unittest
import uuid

from eddy_testing import (QUIET_WINDOW, REPLY_TIMEOUT, KernelEnv, RawConnection,
                          assert_busy_idle, deadline, output_text, remaining, strip_ansi,
                          validate_message, wait_until)

RUN_IPYKERNEL = bool(os.environ.get("EDDY_TEST_IPYKERNEL"))


class ProtocolChecks:
    """Checks that hold for any Jupyter kernel; subclasses give the samples."""

    kernel_name = None
    code_ok = None                  # cheap cell that succeeds
    code_error = None               # cell that fails
    code_probe_set = None           # cell with a visible side effect ...
    code_probe_get = None           # ... and a cell whose output shows it
    probe_text = None               # text the getter shows after the setter ran
    complete_samples = []           # (code, expected code after applying one match)
    is_complete_samples = {}        # status -> [code]
    inspect_found = None            # (code, cursor_pos, text expected in text/plain)
    inspect_missing = None          # (code, cursor_pos)
    history_codes = []              # three distinct cells for history tests
    history_pattern = None          # glob matching exactly history_codes
    abort_statuses = ("error",)     # reply status of an aborted queued execute
    interrupt_reply_status = True   # interrupt_reply carries status (ipykernel 6.17 sends {})
    malformed_on_control = True     # control survives malformed frames (ipykernel 6.17's does
                                    # not: it stops answering on control afterwards)

    @classmethod
    def setUpClass(cls):
        cls.env = KernelEnv(cls.kernel_name)
        try:
            cls.kernel = cls.env.start()
        except Exception:
            cls.env.cleanup()
            raise
        cls.c = cls.kernel.client

    @classmethod
    def tearDownClass(cls):
        cls.kernel.shutdown()
        cls.env.cleanup()

    def setUp(self):
        if not self.kernel.alive():
            self.fail("kernel process is dead before the test; log:\n" + self.kernel.log()[-3000:])
        self.c.drain(0.02)

    def assertAlive(self, client=None):
        """The process lives and answers kernel_info with busy/idle."""
        self.assertTrue(self.kernel.alive(), "kernel died; log:\n" + self.kernel.log()[-3000:])
        client = client or self.c
        reply, iopub = client.request("shell", "kernel_info_request")
        validate_message(self, reply)
        self.assertEqual(reply["content"]["status"], "ok")

    def execute_ok(self, code, **kw):
        reply, iopub = self.c.execute(code, **kw)
        validate_message(self, reply)
        self.assertEqual(reply["content"]["status"], "ok",
                         "cell %r failed: %s" % (code, reply["content"]))
        return reply, iopub

    # -- kernel_info ----------------------------------------------------------------------------

    def test_kernel_info_shape(self):
        reply, iopub = self.c.request("shell", "kernel_info_request")
        validate_message(self, reply)
        assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], "kernel_info")
        c = reply["content"]
        self.assertEqual(c["status"], "ok")
        self.assertRegex(c["protocol_version"], r"^5\.\d+$")
        self.assertGreaterEqual(tuple(map(int, c["protocol_version"].split("."))), (5, 3))
        li = c["language_info"]
        for key in ("name", "version", "mimetype", "file_extension"):
            self.assertIn(key, li)
        self.assertTrue(li["file_extension"].startswith("."))
        self.assertIsInstance(c["banner"], str)
        self.assertIsInstance(c.get("help_links", []), list)
        for link in c.get("help_links", []):
            self.assertIn("text", link)
            self.assertIn("url", link)

    # -- busy / idle ----------------------------------------------------------------------------

    def test_busy_idle_around_every_shell_request(self):
        requests = [
            ("kernel_info_request", {}),
            ("execute_request", dict(code=self.code_ok, silent=False, store_history=True,
                                     user_expressions={}, allow_stdin=False,
                                     stop_on_error=True)),
            ("complete_request", dict(code=self.complete_samples[0][0],
                                      cursor_pos=len(self.complete_samples[0][0]))),
            ("inspect_request", dict(code=self.inspect_found[0],
                                     cursor_pos=self.inspect_found[1], detail_level=0)),
            ("is_complete_request", dict(code=self.code_ok)),
            ("history_request", dict(output=False, raw=True, hist_access_type="tail", n=3)),
            ("comm_info_request", {}),
        ]
        for msg_type, content in requests:
            with self.subTest(msg_type=msg_type):
                reply, iopub = self.c.request("shell", msg_type, content)
                validate_message(self, reply, reply["parent_header"]["msg_id"])
                self.assertEqual(reply["msg_type"], msg_type.replace("_request", "_reply"))
                if msg_type != "is_complete_request":
                    self.assertEqual(reply["content"]["status"], "ok", reply["content"])
                assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], msg_type)

    def test_busy_idle_around_control_request(self):
        reply, iopub = self.c.request("control", "interrupt_request", {})
        self.assertEqual(reply["msg_type"], "interrupt_reply")
        if self.interrupt_reply_status:
            validate_message(self, reply)
            self.assertEqual(reply["content"]["status"], "ok")
        assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], "interrupt_request")
        self.assertAlive()

    # -- execute --------------------------------------------------------------------------------

    def test_execute_input_and_execution_count(self):
        counts = []
        for _ in range(3):
            reply, iopub = self.execute_ok(self.code_ok)
            mid = reply["parent_header"]["msg_id"]
            assert_busy_idle(self, iopub, mid, "execute")
            inputs = [m for m in iopub if m["msg_type"] == "execute_input"]
            self.assertEqual(len(inputs), 1, [m["msg_type"] for m in iopub])
            self.assertEqual(inputs[0]["content"]["code"], self.code_ok)
            self.assertEqual(inputs[0]["content"]["execution_count"],
                             reply["content"]["execution_count"])
            self.assertEqual(iopub[1]["msg_type"], "execute_input",
                             "execute_input must follow busy")
            for m in iopub:
                if m["msg_type"] == "execute_result":
                    self.assertEqual(m["content"]["execution_count"],
                                     reply["content"]["execution_count"])
            counts.append(reply["content"]["execution_count"])
        self.assertEqual(counts, [counts[0], counts[0] + 1, counts[0] + 2])

    def test_silent_execution(self):
        before, _ = self.execute_ok(self.code_ok)
        n = before["content"]["execution_count"]
        reply, iopub = self.execute_ok(self.code_ok, silent=True)
        assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], "silent execute")
        types = [m["msg_type"] for m in iopub]
        self.assertNotIn("execute_input", types)
        self.assertNotIn("execute_result", types)
        self.assertEqual(reply["content"]["execution_count"], n)
        after, _ = self.execute_ok(self.code_ok)
        self.assertEqual(after["content"]["execution_count"], n + 1)

    def test_store_history_false(self):
        before, _ = self.execute_ok(self.code_ok)
        n = before["content"]["execution_count"]
        marker = self.history_codes[0]
        self.execute_ok(marker, store_history=False)
        after, _ = self.execute_ok(self.code_ok)
        self.assertEqual(after["content"]["execution_count"], n + 1,
                         "store_history=false must not advance execution_count")
        reply, _ = self.c.request("shell", "history_request",
                                  dict(output=False, raw=True, hist_access_type="tail", n=2))
        inputs = [h[2] for h in reply["content"]["history"]]
        self.assertEqual(inputs, [self.code_ok, self.code_ok],
                         "store_history=false cell was stored in history")

    def test_error_reply_and_one_error_message(self):
        reply, iopub = self.c.execute(self.code_error)
        validate_message(self, reply)
        c = reply["content"]
        self.assertEqual(c["status"], "error")
        self.assertIn("execution_count", c)
        self.assertTrue(c["ename"])
        self.assertTrue(c["traceback"], "error reply with an empty traceback")
        assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], "error")
        errors = [m for m in iopub if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1, [m["msg_type"] for m in iopub])
        e = errors[0]["content"]
        self.assertEqual((e["ename"], e["evalue"], e["traceback"]),
                         (c["ename"], c["evalue"], c["traceback"]))
        inputs = [m for m in iopub if m["msg_type"] == "execute_input"]
        self.assertEqual(inputs[0]["content"]["execution_count"], c["execution_count"])
        self.assertAlive()

    def test_stop_on_error_aborts_queued_requests(self):
        # Pause the kernel so that both requests sit in its socket before the error happens.
        self.execute_ok(self.code_probe_set.replace("PROBE", "0"))
        self.kernel.pause()
        try:
            bad = self.c.send_execute(self.code_error)
            size = self.c.last_sent_size
            queued = self.c.send_execute(self.code_probe_set.replace("PROBE", "1"))
            size += self.c.last_sent_size
            self.assertTrue(self.kernel.wait_queued("shell", size), "requests did not arrive")
        finally:
            self.kernel.resume()
        r1 = self.c.reply(bad)
        r2 = self.c.reply(queued)
        self.assertIsNotNone(r1, "no reply to the failing cell")
        self.assertIsNotNone(r2, "no reply to the queued cell")
        validate_message(self, r1)
        validate_message(self, r2)
        self.assertEqual(r1["content"]["status"], "error")
        self.assertIn(r2["content"]["status"], self.abort_statuses, r2["content"])
        # both requests still get busy/idle
        assert_busy_idle(self, self.c.iopub_for(bad), bad, "failing execute")
        assert_busy_idle(self, self.c.iopub_for(queued), queued, "aborted execute")
        # the queued cell did not run, and the next one does
        _, iopub = self.execute_ok(self.code_probe_get)
        self.assertIn(self.probe_text.replace("PROBE", "0"), output_text(iopub))
        self.assertNotIn(self.probe_text.replace("PROBE", "1"), output_text(iopub))

    def test_stop_on_error_false_runs_queued_requests(self):
        self.execute_ok(self.code_probe_set.replace("PROBE", "0"))
        self.kernel.pause()
        try:
            bad = self.c.send_execute(self.code_error, stop_on_error=False)
            size = self.c.last_sent_size
            queued = self.c.send_execute(self.code_probe_set.replace("PROBE", "2"))
            size += self.c.last_sent_size
            self.assertTrue(self.kernel.wait_queued("shell", size), "requests did not arrive")
        finally:
            self.kernel.resume()
        r1, r2 = self.c.reply(bad), self.c.reply(queued)
        self.assertEqual(r1["content"]["status"], "error")
        self.assertEqual(r2["content"]["status"], "ok", r2["content"])
        _, iopub = self.execute_ok(self.code_probe_get)
        self.assertIn(self.probe_text.replace("PROBE", "2"), output_text(iopub))

    # -- is_complete / complete / inspect -------------------------------------------------------

    def test_is_complete(self):
        for status, codes in self.is_complete_samples.items():
            for code in codes:
                with self.subTest(code=code):
                    reply, iopub = self.c.request("shell", "is_complete_request", dict(code=code))
                    validate_message(self, reply)
                    c = reply["content"]
                    self.assertEqual(c["status"], status, "is_complete(%r)" % code)
                    if status == "incomplete":
                        self.assertIsInstance(c.get("indent"), str)
                    else:
                        self.assertNotIn("indent", c)

    def test_complete(self):
        for code, expected in self.complete_samples:
            with self.subTest(code=code):
                reply, _ = self.c.request("shell", "complete_request",
                                          dict(code=code, cursor_pos=len(code)))
                validate_message(self, reply)
                c = reply["content"]
                self.assertEqual(c["status"], "ok")
                self.assertIsInstance(c["matches"], list)
                self.assertTrue(0 <= c["cursor_start"] <= c["cursor_end"] <= len(code), c)
                applied = [code[:c["cursor_start"]] + m + code[c["cursor_end"]:]
                           for m in c["matches"]]
                self.assertIn(expected, applied, "matches %r at [%d,%d)"
                              % (c["matches"], c["cursor_start"], c["cursor_end"]))

    def test_inspect(self):
        code, pos, text = self.inspect_found
        reply, _ = self.c.request("shell", "inspect_request",
                                  dict(code=code, cursor_pos=pos, detail_level=0))
        validate_message(self, reply)
        c = reply["content"]
        self.assertEqual(c["status"], "ok")
        self.assertTrue(c["found"])
        self.assertIn("text/plain", c["data"])
        self.assertIn(text, strip_ansi(c["data"]["text/plain"]))
        code, pos = self.inspect_missing
        reply, _ = self.c.request("shell", "inspect_request",
                                  dict(code=code, cursor_pos=pos, detail_level=0))
        validate_message(self, reply)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertFalse(reply["content"]["found"])

    # -- history / comm_info --------------------------------------------------------------------

    def test_history_tail_range_search(self):
        for code in self.history_codes:
            self.execute_ok(code)
        reply, _ = self.c.request("shell", "history_request",
                                  dict(output=False, raw=True, hist_access_type="tail", n=3))
        validate_message(self, reply)
        hist = reply["content"]["history"]
        self.assertEqual([h[2] for h in hist], self.history_codes, hist)
        for h in hist:
            self.assertEqual(len(h), 3)
            self.assertIsInstance(h[0], int)
            self.assertIsInstance(h[1], int)
        lines = [h[1] for h in hist]
        self.assertEqual(lines, sorted(lines))
        # range over the current session (session 0 = current, as IPython and qtconsole use it)
        reply, _ = self.c.request("shell", "history_request",
                                  dict(output=False, raw=True, hist_access_type="range",
                                       session=0, start=lines[0], stop=lines[-1] + 1))
        validate_message(self, reply)
        self.assertEqual([h[2] for h in reply["content"]["history"]], self.history_codes)
        # search with a glob, newest last
        reply, _ = self.c.request("shell", "history_request",
                                  dict(output=False, raw=True, hist_access_type="search",
                                       pattern=self.history_pattern, unique=False, n=10))
        validate_message(self, reply)
        found = [h[2] for h in reply["content"]["history"]]
        for code in self.history_codes:
            self.assertIn(code, found)
        for code in found:
            self.assertIn(code, self.history_codes, "search matched %r" % code)
        # unique collapses repeats
        self.execute_ok(self.history_codes[0])
        reply, _ = self.c.request("shell", "history_request",
                                  dict(output=False, raw=True, hist_access_type="search",
                                       pattern=self.history_codes[0], unique=True, n=10))
        found = [h[2] for h in reply["content"]["history"]]
        self.assertEqual(found, [self.history_codes[0]])

    def test_comm_info(self):
        for content in ({}, {"target_name": "eddy.nothing"}):
            reply, iopub = self.c.request("shell", "comm_info_request", content)
            validate_message(self, reply)
            self.assertEqual(reply["content"]["status"], "ok")
            self.assertIsInstance(reply["content"]["comms"], dict)

    # -- heartbeat ------------------------------------------------------------------------------

    def test_heartbeat_echo(self):
        import zmq
        info = self.kernel.connection_info()
        ctx = zmq.Context()
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        try:
            s.connect("tcp://%s:%d" % (info["ip"], info["hb_port"]))
            for payload in (b"ping", bytes(range(256))):
                s.send(payload)
                self.assertTrue(s.poll(3000), "heartbeat did not echo within 3 s")
                self.assertEqual(s.recv(), payload)
        finally:
            s.close(0)
            ctx.term()

    # -- unknown types, signatures, malformed frames --------------------------------------------

    def test_unknown_message_type_ignored(self):
        mid = self.c.send("shell", "eddy_bogus_request", {})
        iopub = self.c.iopub_for(mid)
        assert_busy_idle(self, iopub, mid, "unknown message type")
        cid = self.c.send("control", "eddy_bogus_control_request", {})
        assert_busy_idle(self, self.c.iopub_for(cid), cid, "unknown type on control")
        self.assertIsNone(self.c.reply(mid, timeout=QUIET_WINDOW), "unknown type got a reply")
        self.assertIsNone(self.c.reply(cid, "control", timeout=0.2),
                          "unknown type on control got a reply")
        self.assertTrue(wait_until(lambda: "eddy_bogus_request" in self.kernel.log(), 3),
                        "unknown message type not logged; log tail:\n" + self.kernel.log()[-1500:])
        self.assertAlive()

    def raw(self):
        raw = RawConnection(self.kernel.connection_info())
        self.addCleanup(raw.close)
        raw.wait_ready()
        return raw

    def test_kernel_signs_replies_and_fills_headers(self):
        raw = self.raw()
        header, frames = raw.frames("kernel_info_request")
        raw.send_frames("shell", frames)
        reply = raw.recv_for("shell", header["msg_id"])  # recv verifies the HMAC
        self.assertIsNotNone(reply)
        validate_message(self, reply)
        self.assertEqual(reply["parent_header"], header, "parent_header is not the request header")
        self.assertEqual(reply["idents"], [], "DEALER should see no identity frames")
        self.assertRegex(reply["header"]["date"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")
        iopub = raw.iopub_for(header["msg_id"])
        assert_busy_idle(self, iopub, header["msg_id"], "raw kernel_info")
        sessions = {reply["header"]["session"]} | {m["header"]["session"] for m in iopub}
        self.assertEqual(len(sessions), 1, "kernel session id changes between messages")
        ids = [reply["header"]["msg_id"]] + [m["header"]["msg_id"] for m in iopub]
        self.assertEqual(len(ids), len(set(ids)), "kernel reuses msg_id")

    def test_reply_keeps_every_routing_identity(self):
        # Behind a ROUTER/DEALER proxy a request carries several identity frames; the reply
        # must carry all of them back (the DEALER sees the ones after its own).
        raw = self.raw()
        header, frames = raw.frames("kernel_info_request")
        raw.send_frames("shell", [b"via-proxy-1", b"via-proxy-2"] + frames)
        reply = raw.recv_for("shell", header["msg_id"])
        self.assertIsNotNone(reply, "no reply to a request with extra identity frames")
        self.assertEqual(reply["idents"], [b"via-proxy-1", b"via-proxy-2"])

    def test_awkward_text_in_code(self):
        # NUL characters, lone surrogates and U+FFFF are valid JSON; C strings and strict
        # UTF-8 encoders trip on them. Any reply is fine; the kernel must answer and live.
        raw = self.raw()
        for name, code_json in (("nul", r'"%help \u0000 where"'),
                                ("lone surrogate", r'"%help \ud800"'),
                                ("noncharacter", r'"demo sensors | where x = \"\uffff\""'),
                                ("nul in query", r'"demo sensors | wh\u0000ere x > 1"')):
            with self.subTest(case=name):
                content = ('{"code": %s, "silent": false, "store_history": false, '
                           '"user_expressions": {}, "allow_stdin": false, '
                           '"stop_on_error": false}' % code_json).encode()
                header, frames = raw.frames("execute_request", content_bytes=content)
                raw.send_frames("shell", frames)
                reply = raw.recv_for("shell", header["msg_id"])  # parse checks UTF-8/JSON
                self.assertTrue(self.kernel.alive(), "kernel died on %s" % name)
                if reply is not None:
                    validate_message(self, reply)
        self.assertAlive()

    def test_forged_signature_gets_no_reply(self):
        raw = self.raw()
        for name, sig in (("forged", b"0" * 64), ("truncated", b"abcd"), ("unsigned", b""),
                          ("overlong", b"f" * 200)):
            with self.subTest(signature=name):
                header, frames = raw.frames("execute_request", dict(
                    code=self.code_probe_set.replace("PROBE", "9"), silent=False,
                    store_history=True, user_expressions={}, allow_stdin=False,
                    stop_on_error=True), signature=sig)
                raw.send_frames("shell", frames)
                self.assertTrue(raw.quiet("shell", header["msg_id"]),
                                "a %s signature got a reply" % name)
                self.assertTrue(raw.quiet("iopub", header["msg_id"], 0.1),
                                "a %s signature got IOPub output" % name)
        _, iopub = self.execute_ok(self.code_probe_get)
        self.assertNotIn(self.probe_text.replace("PROBE", "9"), output_text(iopub),
                         "a message with a bad signature was executed")
        self.assertAlive()

    def test_malformed_frames_leave_kernel_alive(self):
        raw = self.raw()
        good_header, good = raw.frames("kernel_info_request")
        h = raw.header("kernel_info_request")
        parts = [json.dumps(h).encode(), b"{}", b"{}", b"{}"]
        bad_json = [b"{not json", b"{}", b"{}", b"{}"]
        utf8 = [json.dumps(raw.header("execute_request")).encode(), b"{}", b"{}",
                b'{"code": "\xff\xfe %set \xc3\x28", "silent": false}']
        not_object = [json.dumps(raw.header("kernel_info_request")).encode(), b"[]", b"7",
                      b"\"x\""]
        no_type = [json.dumps({"msg_id": str(uuid.uuid4())}).encode(), b"{}", b"{}", b"{}"]
        cases = {
            "no delimiter": [b"hello", b"world"],
            "delimiter only": [b"<IDS|MSG>"],
            "too few frames": [b"<IDS|MSG>", raw.sign(parts[:2])] + parts[:2],
            "three after delimiter": [b"<IDS|MSG>", raw.sign(parts[:3])] + parts[:3],
            "empty frames": [b"", b"", b""],
            "bad json (signed)": [b"<IDS|MSG>", raw.sign(bad_json)] + bad_json,
            "invalid utf-8 (signed)": [b"<IDS|MSG>", raw.sign(utf8)] + utf8,
            "json not objects (signed)": [b"<IDS|MSG>", raw.sign(not_object)] + not_object,
            "header without msg_type (signed)": [b"<IDS|MSG>", raw.sign(no_type)] + no_type,
            "binary garbage": [os.urandom(1000) for _ in range(7)],
        }
        for name, frames in cases.items():
            with self.subTest(case=name):
                raw.send_frames("shell", frames)
                header, frames_ok = raw.frames("kernel_info_request")
                raw.send_frames("shell", frames_ok)
                rep = raw.recv_for("shell", header["msg_id"])
                self.assertIsNotNone(rep, "no kernel_info reply after %s; alive=%s"
                                     % (name, self.kernel.alive()))
                self.assertTrue(self.kernel.alive())
                if not self.malformed_on_control:
                    continue
                raw.send_frames("control", frames)
                mid = raw.send("control", "interrupt_request")
                self.assertIsNotNone(raw.recv_for("control", mid),
                                     "control channel dead after %s on control" % name)
        self.assertAlive()

    def test_50mb_message_leaves_kernel_alive(self):
        raw = self.raw()
        pad = "x" * (50 * 1024 * 1024)
        header, frames = raw.frames("kernel_info_request", {"pad": pad})
        raw.send_frames("shell", frames)
        del frames
        # either answered or dropped; a kernel with a size limit may close the connection,
        # so judge liveness on jupyter_client's own sockets
        raw.recv_for("shell", header["msg_id"], 20)
        self.assertTrue(self.kernel.alive(), "kernel died on a 50 MB message; log:\n"
                        + self.kernel.log()[-2000:])
        self.assertAlive()
        self.execute_ok(self.code_ok)

    # -- clients, interrupts --------------------------------------------------------------------

    def test_two_clients_at_once(self):
        other = self.kernel.new_client()
        self.addCleanup(lambda: (other.close(), self.kernel.clients.remove(other)))
        other.kc.wait_for_ready(timeout=REPLY_TIMEOUT)
        other.drain(0.05)
        # A's execution is broadcast to B, but A's reply goes only to A
        reply, _ = self.execute_ok(self.code_ok)
        mid = reply["parent_header"]["msg_id"]
        seen = other.iopub_for(mid)
        self.assertIn("execute_input", [m["msg_type"] for m in seen])
        self.assertIsNone(other.reply(mid, timeout=0.3), "B received A's reply")
        # both at once
        a = self.c.send_execute(self.code_ok)
        b = other.send_execute(self.code_ok)
        ra, rb = self.c.reply(a), other.reply(b)
        self.assertIsNotNone(ra)
        self.assertIsNotNone(rb)
        self.assertEqual(ra["content"]["status"], "ok")
        self.assertEqual(rb["content"]["status"], "ok")
        self.assertNotEqual(ra["content"]["execution_count"], rb["content"]["execution_count"])
        assert_busy_idle(self, self.c.iopub_for(a), a, "client A")
        assert_busy_idle(self, other.iopub_for(b), b, "client B")
        self.assertIsNone(self.c.reply(b, timeout=0.2), "A received B's reply")

    def test_sigint_while_idle_keeps_kernel(self):
        # signal delivery is immediate; the round trips below happen after the kernel saw it
        os.kill(self.kernel.pid, signal.SIGINT)
        self.assertAlive()
        self.execute_ok(self.code_ok)
        self.kernel.km.interrupt_kernel()  # whichever way the kernelspec says
        self.assertAlive()
        self.execute_ok(self.code_ok)
        self.assertIsNone(self.kernel.process.poll(), "kernel exited after SIGINT")

    # long-running cell, interrupted: needs a kernel that can run one
    code_long = None

    def check_interrupt_long_cell(self, interrupt):
        mid = self.c.send_execute(self.code_long)
        started = self.c.get("iopub", lambda m: m["parent_header"].get("msg_id") == mid
                             and m["msg_type"] == "execute_input", REPLY_TIMEOUT)
        self.assertIsNotNone(started, "long cell did not start")
        interrupt()
        # the cell runs 10 minutes: a reply within the wait, with an error, is the interrupt
        reply = self.c.reply(mid, timeout=REPLY_TIMEOUT)
        self.assertIsNotNone(reply, "no execute_reply after the interrupt")
        validate_message(self, reply)
        self.assertEqual(reply["content"]["status"], "error")
        self.c.iopub_for(mid)
        self.assertAlive()
        self.execute_ok(self.code_ok)


class LifecycleChecks:
    """Each test starts its own kernel: starting status, shutdown, restart, persistence."""

    kernel_name = None
    code_ok = None
    history_marker = None  # a cell that stores a unique string in history

    @classmethod
    def setUpClass(cls):
        cls.env = KernelEnv(cls.kernel_name)

    @classmethod
    def tearDownClass(cls):
        cls.env.cleanup()

    def start(self, **kw):
        k = self.env.start(**kw)
        self.addCleanup(k.shutdown)
        return k

    def test_status_starting_first(self):
        # Connect the SUB socket before the process exists, reconnecting every millisecond,
        # so the subscription is in place as soon as the kernel binds its IOPub port. A
        # kernel on a plain PUB socket that publishes `starting` right after binding loses
        # it to the slow-joiner race; XPUB (subscription frames) lets it wait for a subscriber.
        import zmq
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RECONNECT_IVL, 1)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.addCleanup(lambda: (sub.close(0), ctx.term()))
        k = self.start(wait_ready=False, before_launch=lambda info: sub.connect(
            "tcp://%s:%d" % (info["ip"], info["iopub_port"])))
        info = k.connection_info()
        raw = RawConnection(info, iopub=False)
        self.addCleanup(raw.close)
        states = []
        dl = deadline(REPLY_TIMEOUT)
        while remaining(dl) > 0 and not states:
            if sub.poll(200):
                m = raw.parse(sub.recv_multipart(), "iopub")
                if m["msg_type"] == "status":
                    states.append(m)
            else:
                raw.send("shell", "kernel_info_request")
        self.assertTrue(states, "no status message at all")
        first = states[0]
        self.assertEqual(first["content"]["execution_state"], "starting",
                         "first status seen by a subscriber connected before start is %r, not "
                         "'starting' (published before any subscriber could join?)"
                         % first["content"]["execution_state"])
        self.assertEqual(first["parent_header"], {})

    def _shutdown(self, restart):
        k = self.start()
        reply, iopub = k.client.request("control", "shutdown_request", dict(restart=restart))
        validate_message(self, reply)
        self.assertEqual(reply["msg_type"], "shutdown_reply")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIs(reply["content"]["restart"], restart)
        states = [m["content"]["execution_state"] for m in iopub if m["msg_type"] == "status"]
        self.assertEqual(states[0], "busy")
        code = k.wait_exit(REPLY_TIMEOUT)
        self.assertIsNotNone(code, "kernel still running after shutdown_request")
        self.assertEqual(code, 0, "kernel exit status after shutdown_request")

    def test_shutdown_request(self):
        self._shutdown(False)

    def test_shutdown_request_restart(self):
        self._shutdown(True)

    def test_restart_kernel(self):
        k = self.start()
        r1, _ = k.client.execute(self.code_ok)
        r1, _ = k.client.execute(self.code_ok)
        old_session = r1["header"]["session"]
        old_pid = k.pid
        k.km.restart_kernel(now=False)
        self.assertNotEqual(k.pid, old_pid)
        k.client.kc.wait_for_ready(timeout=REPLY_TIMEOUT)
        k.client.drain(0.05)
        r2, _ = k.client.execute(self.code_ok)
        self.assertEqual(r2["content"]["status"], "ok")
        self.assertNotEqual(r2["header"]["session"], old_session)
        self.assertEqual(r2["content"]["execution_count"], 1)

    def test_history_kept_across_restart(self):
        marker = "%08d" % (uuid.uuid4().int % 10 ** 8)
        code = self.history_marker.replace("MARK", marker)
        k = self.start()
        r, _ = k.client.execute(code)
        self.assertEqual(r["content"]["status"], "ok", r["content"])
        k.km.restart_kernel(now=False)
        k.client.kc.wait_for_ready(timeout=REPLY_TIMEOUT)
        k.client.drain(0.05)
        reply, _ = k.client.request("shell", "history_request",
                                    dict(output=False, raw=True, hist_access_type="tail", n=20))
        inputs = [h[2] for h in reply["content"]["history"]]
        self.assertIn(code, inputs, "history lost across restart")
        self.assertTrue(self.env.data_files_containing(marker),
                        "history is not in a file under the user's data directory")


# ==============================================================================================
# Eddy

EDDY_QUERY_OK = "demo sensors limit 10 | where temperature > 80"


class EddyMixin:
    kernel_name = "eddy"
    code_ok = "%set refresh 1s"
    code_error = "demo sensors | wher x > 1"
    code_probe_set = "%set batch 7PROBE1ms"
    code_probe_get = "%set"
    probe_text = "7PROBE1ms"
    complete_samples = [
        ("demo sensors | wh", "demo sensors | where"),
        ("demo sensors | ag", "demo sensors | agg"),
        ("demo sensors | where temperature > 80 | sel", "demo sensors | where temperature > 80 | select"),
        ("demo sensors | where lo", "demo sensors | where lower"),
        ("demo sensors | agg cou", "demo sensors | agg count"),
        ("dem", "demo"),
        ("kin", "kinesis"),
        ("%he", "%help"),
        ("%que", "%queries"),
        # cursor_pos counts unicode code points (protocol 5.2), not UTF-8 bytes
        ('demo sensors | where device_id = "caf\u00e9 \u2603" and lo',
         'demo sensors | where device_id = "caf\u00e9 \u2603" and lower'),
    ]
    is_complete_samples = {
        "complete": ["demo sensors | where temperature > 80", "%set batch 200ms", "%queries"],
        "incomplete": ["demo sensors |", "demo sensors | where (temperature > 80",
                       'demo sensors | where device_id = "abc', '%set region "eu-'],
    }
    inspect_found = ("demo sensors | where x > 1", len("demo sensors | wh"), "where")
    inspect_missing = ("zzqx_nothing", 3)
    history_codes = ["%set batch 301ms", "%set batch 302ms", "%set batch 303ms"]
    history_pattern = "%set batch 30?ms"
    code_long = "demo sensors rate 1000 | for 10m"
    history_marker = "%set batch MARKms"


class EddyProtocolTests(EddyMixin, ProtocolChecks, unittest.TestCase):

    def test_kernelspec(self):
        spec = self.env.kernel_spec()
        argv = spec["argv"]
        self.assertTrue(os.path.isabs(argv[0]), argv)
        self.assertTrue(os.path.samefile(argv[0], os.environ.get("EDDY_BIN", argv[0])))
        self.assertIn("{connection_file}", argv)
        self.assertEqual(spec.get("language"), "eddy")
        self.assertEqual(spec.get("interrupt_mode"), "message")
        self.assertTrue(spec.get("display_name"))

    def test_kernel_info_values(self):
        reply, _ = self.c.request("shell", "kernel_info_request")
        c = reply["content"]
        li = c["language_info"]
        self.assertEqual(li["name"], "eddy")
        self.assertEqual(li["mimetype"], "text/x-eddy")
        self.assertEqual(li["file_extension"], ".eddy")
        self.assertEqual(c["implementation"], "eddy")
        self.assertTrue(c["banner"].strip())
        self.assertTrue(c["help_links"])
        for link in c["help_links"]:
            self.assertTrue(link["text"])
            self.assertRegex(link["url"], r"^https?://")

    def assert_caret(self, code, line, column, words):
        reply, iopub = self.c.execute(code)
        validate_message(self, reply)
        c = reply["content"]
        self.assertEqual(c["status"], "error", c)
        errors = [m for m in iopub if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["content"]["traceback"], c["traceback"])
        for w in words:
            self.assertIn(w, c["evalue"])
        text = strip_ansi("\n".join(c["traceback"]))
        self.assertRegex(text, r"\bline %d\b" % line)
        self.assertRegex(text, r"\bcol(umn)? %d\b" % column)
        src = code.split("\n")[line - 1]
        tlines = text.split("\n")
        for i, tl in enumerate(tlines[:-1]):
            at = tl.find(src)
            if at >= 0 and "^" in tlines[i + 1]:
                self.assertEqual(tlines[i + 1].index("^"), at + column - 1,
                                 "caret not under column %d:\n%s\n%s" % (column, tl, tlines[i + 1]))
                return
        self.fail("no source line with a caret line under it in the traceback:\n" + text)

    def test_parse_error_has_line_column_caret(self):
        self.assert_caret("demo sensors | wher x > 1", 1, 16, ["wher", "where"])

    def test_parse_error_on_third_line(self):
        self.assert_caret("demo sensors\n| where temperature > 80\n| wher x > 1", 3, 3,
                          ["wher", "where"])

    def test_valid_query_answers(self):
        # Valid queries, bounded and endless (an endless one runs in the background once the
        # runtime lands): the kernel answers ok or with a well-formed error, never a parse error
        for code in (EDDY_QUERY_OK, "demo sensors | where temperature > 80"):
            with self.subTest(code=code):
                reply, iopub = self.c.execute(code, timeout=30)
                validate_message(self, reply)
                assert_busy_idle(self, iopub, reply["parent_header"]["msg_id"], "query")
                c = reply["content"]
                self.assertIn(c["status"], ("ok", "error"))
                if c["status"] == "error":
                    self.assertTrue(c["ename"])
                    self.assertTrue(c["evalue"])
                    self.assertNotIn("did you mean", c["evalue"])
                    self.assertEqual(len([m for m in iopub if m["msg_type"] == "error"]), 1)
                self.execute_ok("%stop all")

    def test_magics(self):
        _, iopub = self.execute_ok("%help")
        self.assertIn("where", output_text(iopub))
        _, iopub = self.execute_ok("%help where")
        self.assertIn("where", output_text(iopub))
        self.execute_ok("%set batch 200ms")
        self.execute_ok('%set region "eu-west-1"')
        _, iopub = self.execute_ok("%set")
        listing = output_text(iopub)
        for text in ("batch", "200ms", "region", "eu-west-1"):
            self.assertIn(text, listing)
        self.execute_ok("%queries")
        self.execute_ok("%stop all")

    def test_inspect_counts_code_points(self):
        code = 'demo sensors | where device_id = "caf\u00e9 \u2603" and lower(x) = "a"'
        pos = code.index("lower") + 2
        reply, _ = self.c.request("shell", "inspect_request",
                                  dict(code=code, cursor_pos=pos, detail_level=0))
        validate_message(self, reply)
        self.assertTrue(reply["content"]["found"], "word under a code-point cursor not found")
        self.assertIn("lower", reply["content"]["data"]["text/plain"])

    def test_unknown_magic_is_an_error(self):
        reply, iopub = self.c.execute("%nosuchmagic 1")
        validate_message(self, reply)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(len([m for m in iopub if m["msg_type"] == "error"]), 1)
        self.assertAlive()

    def test_interrupt_long_cell_by_message(self):
        self.check_interrupt_long_cell(self.kernel.km.interrupt_kernel)

    def test_interrupt_long_cell_by_sigint(self):
        self.check_interrupt_long_cell(lambda: os.kill(self.kernel.pid, signal.SIGINT))


class EddyLifecycleTests(EddyMixin, LifecycleChecks, unittest.TestCase):
    pass


# ==============================================================================================
# Debian's ipykernel: validates the harness (opt-in)

class IPyKernelMixin:
    kernel_name = "python3"
    code_ok = "1"
    code_error = "1/0"
    code_probe_set = "probe_value = 'v7PROBE1'"
    code_probe_get = "print(globals().get('probe_value'))"
    probe_text = "v7PROBE1"
    complete_samples = [("impo", "import"), ("pri", "print"), ("%tim", "%time")]
    is_complete_samples = {"complete": ["1", "x = 1"],
                           "incomplete": ["for i in range(3):", "(1,", "s = '''a"]}
    inspect_found = ("print", 5, "print")
    inspect_missing = ("zzqx_nothing", 3)
    history_codes = ["h_a = 301", "h_a = 302", "h_a = 303"]
    history_pattern = "h_a = 30?"
    abort_statuses = ("error", "aborted")
    interrupt_reply_status = False
    malformed_on_control = False
    code_long = "import time; time.sleep(600)"
    history_marker = "h_mark = 'MARK'"


@unittest.skipUnless(RUN_IPYKERNEL, "set EDDY_TEST_IPYKERNEL=1 to validate the harness")
class IPyKernelProtocolTests(IPyKernelMixin, ProtocolChecks, unittest.TestCase):

    def test_interrupt_long_cell_by_message(self):
        self.check_interrupt_long_cell(self.kernel.km.interrupt_kernel)


@unittest.skipUnless(RUN_IPYKERNEL, "set EDDY_TEST_IPYKERNEL=1 to validate the harness")
class IPyKernelLifecycleTests(IPyKernelMixin, LifecycleChecks, unittest.TestCase):
    pass


if __name__ == "__main__":
    unittest.main()

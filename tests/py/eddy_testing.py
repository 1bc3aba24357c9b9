"""Shared helpers for Eddy's Python tests (Debian's python3, jupyter_client 7.4.9, pyzmq).

What is here:
  * KernelEnv      a private JUPYTER_PATH / data / runtime directory per test module, with the
                   Eddy kernelspec installed by the real `$EDDY_BIN install --prefix TMP`.
  * KernelProcess  one kernel started from its kernelspec through jupyter_client's KernelManager,
                   its log captured to a file, a BlockingKernelClient on top (`Client`).
  * Client         request/reply helpers that pair messages by parent msg_id and collect IOPub
                   until the request's `status: idle`.
  * RawConnection  hand-made ZeroMQ frames (pyzmq): signed, forged, unsigned or malformed messages,
                   and verification of the kernel's own signatures and header fields.
  * validate_*     message-shape checks (header fields, date format, required content keys).

Every wait has an explicit deadline; nothing sleeps blindly.

The same classes drive Debian's ipykernel (kernel_name "python3"), which is how the harness itself
is validated: `EDDY_TEST_IPYKERNEL=1 python3 -m unittest -v test_protocol` (see test_protocol.py).
"""

import datetime
import glob
import hashlib
import hmac
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import zmq
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

# ----------------------------------------------------------------------------------------------
# Locations

SOURCE_DIR = os.environ.get(
    "EDDY_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
BUILD_DIR = os.environ.get("EDDY_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))

# Deadlines for waiting on an event (a reply, a kernel ready): generous, since a working
# kernel meets them with room to spare even under ASan on a busy machine, and only a broken
# one reaches them. No test asserts how long something took; bench/ measures that.
REPLY_TIMEOUT = float(os.environ.get("EDDY_TEST_REPLY_TIMEOUT", "30"))
START_TIMEOUT = float(os.environ.get("EDDY_TEST_START_TIMEOUT", "60"))
QUIET_WINDOW = 1.0  # how long "no reply" is waited for (absence: a slow kernel cannot fail it)


def eddy_bin():
    """The eddy binary under test: $EDDY_BIN (set by CTest), else <build>/eddy."""
    path = os.environ.get("EDDY_BIN") or os.path.join(BUILD_DIR, "eddy")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise RuntimeError(
            "eddy binary not found at %r: set EDDY_BIN (CTest does) or build %s" % (path, BUILD_DIR)
        )
    return os.path.abspath(path)


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text):
    return ANSI_RE.sub("", text)


def deadline(seconds):
    return time.monotonic() + seconds


def remaining(dl):
    return max(0.0, dl - time.monotonic())


def wait_until(predicate, timeout, interval=0.02):
    """Poll predicate() until it is truthy or the deadline passes; returns its last value."""
    dl = deadline(timeout)
    while True:
        value = predicate()
        if value or time.monotonic() >= dl:
            return value
        time.sleep(min(interval, remaining(dl)))


# ----------------------------------------------------------------------------------------------
# Environment: private JUPYTER_PATH and data directories


class KernelEnv:
    """A temporary directory tree that isolates kernelspecs, Jupyter runtime files, and the
    kernel's user data (HOME, XDG_DATA_HOME, JUPYTER_DATA_DIR, IPYTHONDIR) from the real user.

    kernel_name "eddy" installs the kernelspec with `$EDDY_BIN install --prefix TMP/prefix`;
    any other name (e.g. "python3") uses the system kernelspec.
    """

    def __init__(self, kernel_name="eddy"):
        self.kernel_name = kernel_name
        self.root = tempfile.mkdtemp(prefix="eddy-py-")
        self.prefix = os.path.join(self.root, "prefix")
        self.home = os.path.join(self.root, "home")
        self.data_home = os.path.join(self.root, "xdg-data")
        self.jupyter_data = os.path.join(self.root, "jupyter-data")
        self.runtime_dir = os.path.join(self.root, "runtime")
        self.logs = os.path.join(self.root, "logs")
        for d in (self.prefix, self.home, self.data_home, self.jupyter_data, self.runtime_dir,
                  self.logs):
            os.makedirs(d)
        self.install_output = ""
        self.kernel_json_path = None
        self.jupyter_path = os.path.join(self.prefix, "share", "jupyter")
        if kernel_name == "eddy":
            self._install_eddy()
        self._saved = {}
        self._set_client_env()

    def _install_eddy(self):
        binary = eddy_bin()
        proc = subprocess.run(
            [binary, "install", "--prefix", self.prefix],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
            env=self.kernel_env(), text=True,
        )
        self.install_output = proc.stdout
        if proc.returncode != 0:
            raise RuntimeError(
                "`%s install --prefix %s` failed (exit %d): %s"
                % (binary, self.prefix, proc.returncode, proc.stdout.strip())
            )
        found = glob.glob(os.path.join(self.prefix, "**", "kernels", "eddy", "kernel.json"),
                          recursive=True)
        if not found:
            raise RuntimeError("`eddy install --prefix %s` wrote no kernels/eddy/kernel.json; "
                               "output: %s" % (self.prefix, proc.stdout.strip()))
        self.kernel_json_path = found[0]
        # JUPYTER_PATH entries hold a kernels/ directory.
        self.jupyter_path = os.path.dirname(os.path.dirname(os.path.dirname(found[0])))

    def kernel_spec(self):
        with open(self.kernel_json_path) as f:
            return json.load(f)

    def _set_client_env(self):
        # jupyter_client reads these in this process (kernelspec lookup, connection files);
        # nbclient and `jupyter nbconvert` subprocesses inherit them.
        updates = {
            "JUPYTER_PATH": self.jupyter_path,
            "JUPYTER_RUNTIME_DIR": self.runtime_dir,
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        for k, v in updates.items():
            self._saved[k] = os.environ.get(k)
            os.environ[k] = v

    def kernel_env(self):
        """Environment for kernel processes: the user's data lives under the temp tree."""
        env = dict(os.environ)
        env.update({
            "HOME": self.home,
            "XDG_DATA_HOME": self.data_home,
            "JUPYTER_DATA_DIR": self.jupyter_data,
            "JUPYTER_RUNTIME_DIR": self.runtime_dir,
            "IPYTHONDIR": os.path.join(self.home, ".ipython"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        return env

    def data_files_containing(self, needle):
        """Files under the kernel's private HOME / data dirs whose bytes contain needle."""
        hits = []
        for top in (self.home, self.data_home, self.jupyter_data):
            for dirpath, _, files in os.walk(top):
                for name in files:
                    p = os.path.join(dirpath, name)
                    try:
                        with open(p, "rb") as f:
                            if needle.encode() in f.read():
                                hits.append(p)
                    except OSError:
                        pass
        return hits

    def start(self, **kw):
        return KernelProcess(self, **kw)

    def cleanup(self):
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.root, ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# Kernel processes and clients


def tcp_rx_queued(port):
    """Bytes in the receive queues of established TCP sockets whose local port is port."""
    total = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local, state, queues = cols[1], cols[3], cols[4]
                    if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                        total += int(queues.split(":")[1], 16)
        except OSError:
            pass
    return total


class KernelProcess:
    """One kernel started through jupyter_client's KernelManager from the kernelspec, with its
    stdout/stderr in a log file. `client` is a ready Client (kernel_info answered)."""

    def __init__(self, env, startup_timeout=START_TIMEOUT, wait_ready=True, before_launch=None):
        self.env = env
        self.log_path = os.path.join(env.logs, "kernel-%s.log" % uuid.uuid4().hex[:8])
        self._log = open(self.log_path, "ab")
        ksm = KernelSpecManager(kernel_dirs=[os.path.join(env.jupyter_path, "kernels")]
                                + KernelSpecManager().kernel_dirs)
        self.km = KernelManager(kernel_name=env.kernel_name, kernel_spec_manager=ksm)
        if before_launch is not None:
            # fix the ports now (start_kernel keeps ports already chosen) so the caller can
            # connect sockets before the process exists
            self.km.cache_ports = False  # else the provisioner picks new ports at launch
            self.km.write_connection_file()
            before_launch(self.km.get_connection_info(session=False))
        self.t_launch = time.monotonic()
        self.km.start_kernel(env=env.kernel_env(), stdout=self._log, stderr=self._log)
        self.clients = []
        self.client = self.new_client()
        if wait_ready:
            try:
                self.client.kc.wait_for_ready(timeout=startup_timeout)
            except Exception as e:
                alive = self.alive()
                self.shutdown(now=True)
                raise RuntimeError("%s kernel not ready within %.0fs (%s; process %s); log:\n%s"
                                   % (env.kernel_name, startup_timeout, e,
                                      "alive" if alive else "dead", self.log()[-3000:]))

    @property
    def pid(self):
        return self.km.provisioner.pid

    @property
    def process(self):
        return self.km.provisioner.process

    def alive(self):
        return self.km.is_alive()

    def new_client(self):
        # Each client needs its own Session: jupyter_client uses the session id as the shell
        # socket's identity, so two clients sharing the manager's Session would share replies.
        s = self.km.session
        session = Session(key=s.key, signature_scheme=s.signature_scheme, username="eddy-test")
        c = Client(self.km.client(session=session))
        self.clients.append(c)
        return c

    def connection_info(self):
        return self.km.get_connection_info(session=False)

    def raw(self):
        return RawConnection(self.connection_info())

    def log(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_exit(self, timeout):
        """Wait for the kernel process to exit by itself; returns its exit code or None."""
        proc = self.process
        if proc is None:
            return 0
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def pause(self):
        """SIGSTOP the kernel and wait until every thread is stopped: requests sent from now
        on queue up unread in its sockets."""
        os.kill(self.pid, signal.SIGSTOP)

        def stopped():
            try:
                for tid in os.listdir("/proc/%d/task" % self.pid):
                    with open("/proc/%d/task/%s/stat" % (self.pid, tid)) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] != "T":
                            return False
            except OSError:
                return False
            return True
        if not wait_until(stopped, 30):
            raise AssertionError("kernel threads did not stop after SIGSTOP")

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)

    def wait_queued(self, channel, nbytes, timeout=30.0):
        """While paused: wait until at least nbytes wait unread in the kernel's TCP receive
        queues on channel's port (read from /proc/net/tcp*), i.e. the requests have arrived."""
        port = self.connection_info()["%s_port" % channel]
        return wait_until(lambda: tcp_rx_queued(port) >= nbytes, timeout)


    def shutdown(self, now=False):
        for c in self.clients:
            c.close()
        self.clients = []
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=now)
        except Exception:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        self._log.close()


class Client:
    """A BlockingKernelClient with message pairing by parent msg_id.

    Messages that belong to other requests are kept, not dropped, so tests can interleave
    requests or look at broadcasts later."""

    def __init__(self, kc):
        self.kc = kc
        kc.start_channels()
        self.session = kc.session
        self._stash = {"shell": [], "control": [], "iopub": []}

    def close(self):
        try:
            self.kc.stop_channels()
        except Exception:
            pass

    def _channel(self, name):
        return {"shell": self.kc.shell_channel, "control": self.kc.control_channel,
                "iopub": self.kc.iopub_channel}[name]

    def _get_msg(self, name, timeout):
        # the blocking client's synchronous getters (channel.get_msg is a coroutine in 7.x)
        return {"shell": self.kc.get_shell_msg, "control": self.kc.get_control_msg,
                "iopub": self.kc.get_iopub_msg}[name](timeout=timeout)

    def send(self, channel, msg_type, content=None, **header):
        msg = self.session.msg(msg_type, content if content is not None else {})
        msg["header"].update(header)
        self._channel(channel).send(msg)
        self.last_sent_size = sum(len(p) for p in self.session.serialize(msg))
        return msg["header"]["msg_id"]

    def get(self, channel, match, timeout):
        """The first message on channel for which match(msg) is true, or None at the deadline."""
        stash = self._stash[channel]
        for i, m in enumerate(stash):
            if match(m):
                return stash.pop(i)
        dl = deadline(timeout)
        while True:
            left = remaining(dl)
            if left <= 0:
                return None
            try:
                m = self._get_msg(channel, left)
            except queue.Empty:
                return None
            if match(m):
                return m
            stash.append(m)

    def reply(self, msg_id, channel="shell", timeout=REPLY_TIMEOUT):
        return self.get(channel, lambda m: m["parent_header"].get("msg_id") == msg_id, timeout)

    def iopub_for(self, msg_id, timeout=REPLY_TIMEOUT):
        """IOPub messages whose parent is msg_id, from the first through `status: idle`.
        Raises AssertionError if idle does not arrive in time."""
        out = []
        dl = deadline(timeout)
        while True:
            m = self.get("iopub", lambda m: m["parent_header"].get("msg_id") == msg_id,
                         remaining(dl))
            if m is None:
                raise AssertionError(
                    "no status idle on IOPub for %s within %.1fs; got %s"
                    % (msg_id, timeout, [x["msg_type"] for x in out]))
            out.append(m)
            if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle":
                return out

    def request(self, channel, msg_type, content=None, timeout=REPLY_TIMEOUT):
        """Send a request; return (reply, iopub messages through idle)."""
        msg_id = self.send(channel, msg_type, content)
        reply = self.reply(msg_id, channel, timeout)
        if reply is None:
            raise AssertionError("no %s reply to %s within %.1fs" % (channel, msg_type, timeout))
        return reply, self.iopub_for(msg_id, timeout)

    def execute(self, code, silent=False, store_history=True, stop_on_error=True,
                allow_stdin=False, user_expressions=None, timeout=REPLY_TIMEOUT):
        content = dict(code=code, silent=silent, store_history=store_history,
                       user_expressions=user_expressions or {}, allow_stdin=allow_stdin,
                       stop_on_error=stop_on_error)
        return self.request("shell", "execute_request", content, timeout)

    def send_execute(self, code, **kw):
        content = dict(code=code, silent=False, store_history=True, user_expressions={},
                       allow_stdin=False, stop_on_error=True)
        content.update(kw)
        return self.send("shell", "execute_request", content)

    def drain(self, seconds=0.2):
        """Discard whatever arrives within `seconds` on every channel, and the stash."""
        for name in self._stash:
            self._stash[name] = []
            dl = deadline(seconds)
            while True:
                try:
                    self._get_msg(name, remaining(dl) or 0.001)
                except queue.Empty:
                    break
                if remaining(dl) <= 0:
                    break


def output_text(msgs):
    """All user-visible text of a cell's IOPub messages: stream text, text/plain of results and
    displays, and error tracebacks (ANSI stripped)."""
    parts = []
    for m in msgs:
        t, c = m["msg_type"], m["content"]
        if t == "stream":
            parts.append(c.get("text", ""))
        elif t in ("execute_result", "display_data", "update_display_data"):
            data = c.get("data", {})
            parts.append(data.get("text/plain", "") or data.get("text/markdown", "")
                         or data.get("text/html", ""))
        elif t == "error":
            parts.append("\n".join(c.get("traceback", [])))
    return strip_ansi("".join(p if isinstance(p, str) else json.dumps(p) for p in parts))


# ----------------------------------------------------------------------------------------------
# Message-shape validation (the required fields of the notes, §1.2 and §4.2)

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:?\d\d)?$")
MIME_RE = re.compile(r"^[a-z]+/[A-Za-z0-9.+_-]+$")

REQUIRED_CONTENT = {
    "kernel_info_reply": ["status", "protocol_version", "implementation",
                          "implementation_version", "language_info", "banner"],
    "execute_reply": ["status", "execution_count"],
    "complete_reply": ["status", "matches", "cursor_start", "cursor_end", "metadata"],
    "inspect_reply": ["status", "found", "data", "metadata"],
    "is_complete_reply": ["status"],
    "history_reply": ["status", "history"],
    "comm_info_reply": ["status", "comms"],
    "interrupt_reply": ["status"],
    "shutdown_reply": ["status", "restart"],
    "status": ["execution_state"],
    "execute_input": ["code", "execution_count"],
    "stream": ["name", "text"],
    "display_data": ["data", "metadata"],
    "update_display_data": ["data", "metadata", "transient"],
    "execute_result": ["execution_count", "data", "metadata"],
    "error": ["ename", "evalue", "traceback"],
    "clear_output": ["wait"],
}


def validate_header(testcase, header, where=""):
    for key in ("msg_id", "msg_type", "session", "username", "date", "version"):
        testcase.assertIn(key, header, "%s header lacks %r: %r" % (where, key, header))
    for key in ("msg_id", "msg_type", "session"):
        testcase.assertIsInstance(header[key], str)
        testcase.assertTrue(header[key], "%s header %r is empty" % (where, key))
    testcase.assertIsInstance(header["version"], str)
    testcase.assertRegex(header["version"], r"^\d+\.\d+$", "%s header version" % where)
    date = header["date"]
    if isinstance(date, datetime.datetime):
        testcase.assertIsNotNone(date.tzinfo, "%s header date has no time zone" % where)
    else:
        testcase.assertRegex(date, DATE_RE, "%s header date is not ISO 8601" % where)


def validate_message(testcase, msg, parent_id=None):
    """Check a message (as jupyter_client or RawConnection delivers it)."""
    t = msg["header"]["msg_type"]
    where = t
    validate_header(testcase, msg["header"], where)
    testcase.assertEqual(msg["msg_type"], t)
    testcase.assertIsInstance(msg["parent_header"], dict)
    testcase.assertIsInstance(msg["metadata"], dict)
    c = msg["content"]
    testcase.assertIsInstance(c, dict)
    if parent_id is not None:
        testcase.assertEqual(msg["parent_header"].get("msg_id"), parent_id,
                             "%s: wrong parent" % where)
    for key in REQUIRED_CONTENT.get(t, []):
        if key in ("execution_count",) and t == "execute_reply" and c.get("status") == "aborted":
            continue  # ipykernel's deprecated 'aborted' carries no count
        testcase.assertIn(key, c, "%s content lacks %r: %r" % (where, key, c))
    if t == "is_complete_reply":
        testcase.assertIn(c.get("status"), ("complete", "incomplete", "invalid", "unknown"),
                          "is_complete_reply status")
    elif t.endswith("_reply"):
        testcase.assertIn(c.get("status"), ("ok", "error", "abort", "aborted"),
                          "%s status" % where)
        if c.get("status") == "error":
            for key in ("ename", "evalue", "traceback"):
                testcase.assertIn(key, c, "%s error reply lacks %r" % (where, key))
    if t == "status":
        testcase.assertIn(c["execution_state"], ("busy", "idle", "starting"))
    if t == "stream":
        testcase.assertIn(c["name"], ("stdout", "stderr"))
        testcase.assertIsInstance(c["text"], str)
    if t in ("display_data", "update_display_data", "execute_result"):
        testcase.assertIsInstance(c["data"], dict)
        for mime in c["data"]:
            testcase.assertRegex(mime, MIME_RE)
    if t == "error" or (t.endswith("_reply") and c.get("status") == "error"):
        testcase.assertIsInstance(c["ename"], str)
        testcase.assertIsInstance(c["evalue"], str)
        testcase.assertIsInstance(c["traceback"], list)
        for line in c["traceback"]:
            testcase.assertIsInstance(line, str)
    if t == "execute_input":
        testcase.assertIsInstance(c["execution_count"], int)
    if t == "execute_reply" and "execution_count" in c:
        testcase.assertIsInstance(c["execution_count"], int)
    if t == "execute_reply" and c.get("status") == "ok":
        # msgspec v5 (jupyter_kernel_test): an ok reply carries payload and user_expressions
        testcase.assertIsInstance(c.get("payload"), list, "execute_reply ok lacks payload")
        testcase.assertIsInstance(c.get("user_expressions"), dict,
                                  "execute_reply ok lacks user_expressions")


def assert_busy_idle(testcase, iopub, parent_id, what=""):
    """busy is the first IOPub message for the request and idle the last, parented to it."""
    testcase.assertTrue(iopub, "%s: no IOPub messages" % what)
    first, last = iopub[0], iopub[-1]
    testcase.assertEqual((first["msg_type"], first["content"].get("execution_state")),
                         ("status", "busy"), "%s: first IOPub message is not busy: %s"
                         % (what, [m["msg_type"] for m in iopub]))
    testcase.assertEqual((last["msg_type"], last["content"].get("execution_state")),
                         ("status", "idle"), "%s: last IOPub message is not idle" % what)
    for m in iopub:
        testcase.assertEqual(m["parent_header"].get("msg_id"), parent_id)
        validate_message(testcase, m)
    states = [m["content"]["execution_state"] for m in iopub if m["msg_type"] == "status"]
    testcase.assertEqual(states, ["busy", "idle"], "%s: status sequence" % what)


# ----------------------------------------------------------------------------------------------
# Raw sockets: hand-made frames


DELIM = b"<IDS|MSG>"


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RawConnection:
    """Own DEALER sockets on shell and control and a SUB on IOPub, speaking bytes.

    send_* build frames by hand so tests control every byte; recv verifies the kernel's
    signature over the exact received bytes and returns a dict like jupyter_client's, plus
    "raw" (the frames) and "header_raw" (header JSON text, date unparsed)."""

    def __init__(self, info, iopub=True):
        self.info = info
        self.key = info["key"].encode() if isinstance(info["key"], str) else info["key"]
        scheme = info.get("signature_scheme", "hmac-sha256")
        self.digest = getattr(hashlib, scheme.split("-", 1)[1])
        self.session = str(uuid.uuid4())
        self.ctx = zmq.Context()
        self.sockets = {}
        ident = ("raw-" + uuid.uuid4().hex[:8]).encode()
        for name in ("shell", "control"):
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IDENTITY, ident + b"-" + name.encode())
            s.connect(self._url(name))
            self.sockets[name] = s
        if iopub:
            s = self.ctx.socket(zmq.SUB)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(self._url("iopub"))
            self.sockets["iopub"] = s

    def _url(self, channel):
        port = self.info["%s_port" % channel]
        if self.info.get("transport", "tcp") == "ipc":
            return "ipc://%s-%d" % (self.info["ip"], port)
        return "tcp://%s:%d" % (self.info["ip"], port)

    def close(self):
        for s in self.sockets.values():
            s.close(0)
        self.ctx.term()

    # -- building

    def sign(self, parts):
        if not self.key:
            return b""
        h = hmac.new(self.key, digestmod=self.digest)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()

    def header(self, msg_type, **extra):
        h = {"msg_id": str(uuid.uuid4()), "msg_type": msg_type, "session": self.session,
             "username": "eddy-test", "date": _now_iso(), "version": "5.3"}
        h.update(extra)
        return h

    def frames(self, msg_type, content=None, signature=None, header=None, parent=None,
               metadata=None, content_bytes=None):
        """Frames from the delimiter on; signature None = correct HMAC, else the given bytes."""
        header = header or self.header(msg_type)
        parts = [json.dumps(header).encode(), json.dumps(parent or {}).encode(),
                 json.dumps(metadata or {}).encode(),
                 content_bytes if content_bytes is not None
                 else json.dumps(content if content is not None else {}).encode()]
        sig = self.sign(parts) if signature is None else signature
        return header, [DELIM, sig] + parts

    def send(self, channel, msg_type, content=None, **kw):
        header, frames = self.frames(msg_type, content, **kw)
        self.sockets[channel].send_multipart(frames)
        return header["msg_id"]

    def send_frames(self, channel, frames):
        self.sockets[channel].send_multipart(frames)

    # -- receiving

    def recv(self, channel, timeout=REPLY_TIMEOUT):
        """Next message on channel, parsed; None at the deadline. Raises AssertionError if the
        kernel's framing or signature is wrong."""
        s = self.sockets[channel]
        if not s.poll(int(timeout * 1000)):
            return None
        frames = s.recv_multipart()
        return self.parse(frames, channel)

    def parse(self, frames, channel="?"):
        if DELIM not in frames:
            raise AssertionError("%s: message without <IDS|MSG>: %r" % (channel, frames[:3]))
        i = frames.index(DELIM)
        idents, rest = frames[:i], frames[i + 1:]
        if len(rest) < 5:
            raise AssertionError("%s: %d frames after the delimiter" % (channel, len(rest)))
        sig, parts = rest[0], rest[1:5]
        expected = self.sign(parts)
        if not hmac.compare_digest(sig, expected):
            raise AssertionError("%s: bad signature from kernel: %r (expected %r)"
                                 % (channel, sig, expected))
        if self.key:
            assert re.match(rb"^[0-9a-f]+$", sig), "signature is not lowercase hex: %r" % sig
        header, parent, metadata, content = (json.loads(p.decode("utf-8")) for p in parts)
        return {"idents": idents, "raw": frames, "header": header, "header_raw": parts[0],
                "parent_header": parent, "metadata": metadata, "content": content,
                "msg_type": header.get("msg_type"), "buffers": rest[5:]}

    def recv_for(self, channel, parent_id, timeout=REPLY_TIMEOUT):
        """First message on channel whose parent is parent_id (others are discarded)."""
        dl = deadline(timeout)
        while True:
            m = self.recv(channel, remaining(dl))
            if m is None:
                return None
            if m["parent_header"].get("msg_id") == parent_id:
                return m

    def iopub_for(self, parent_id, timeout=REPLY_TIMEOUT):
        out = []
        dl = deadline(timeout)
        while True:
            m = self.recv_for("iopub", parent_id, remaining(dl))
            if m is None:
                raise AssertionError("no idle for %s; got %s"
                                     % (parent_id, [x["msg_type"] for x in out]))
            out.append(m)
            if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle":
                return out

    def wait_ready(self, timeout=REPLY_TIMEOUT):
        """Like jupyter_client's wait_for_ready: kernel_info on shell until both the reply and an
        IOPub message arrive (the SUB socket has joined). Leaves the sockets drained."""
        dl = deadline(timeout)
        while remaining(dl) > 0:
            mid = self.send("shell", "kernel_info_request")
            rep = self.recv_for("shell", mid, min(2.0, remaining(dl)))
            if rep is None:
                continue
            if self.recv("iopub", min(0.3, remaining(dl))) is not None:
                self.drain()
                return rep
        raise AssertionError("raw connection: kernel not ready within %.1fs" % timeout)

    def drain(self, seconds=0.1):
        for name, s in self.sockets.items():
            while s.poll(int(seconds * 1000)):
                s.recv_multipart()

    def quiet(self, channel, parent_id, seconds=QUIET_WINDOW):
        """True if nothing parented to parent_id arrives on channel within seconds."""
        return self.recv_for(channel, parent_id, seconds) is None

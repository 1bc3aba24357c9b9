"""The kernel's security rules, through the real binary (docs/security.md names each test).

  * A connection file with an empty or missing key, or a weak signature_scheme, stops the
    kernel at start-up with a message; `--allow-unsigned` or EDDY_ALLOW_UNSIGNED=1 lets an
    unkeyed kernel start (and it then answers unsigned messages).
  * The sockets listen only where the connection file says: a kernel started by
    jupyter_client on 127.0.0.1 has its five ports on 127.0.0.1 alone (/proc/net/tcp), and an
    ip that is not a literal address ("*", a host name) is refused.
  * The connection file's key never reaches the kernel's log, even at debug level and with
    forged messages arriving.
  * `into file` may not write the kernel's connection file or its history; the kernelspec
    `eddy install` writes is public (the umask's modes) and holds no secret.

Every wait has a deadline; nothing sleeps blindly.
"""

import json
import os
import socket
import subprocess
import tempfile
import unittest

from eddy_testing import (REPLY_TIMEOUT, KernelEnv, RawConnection, eddy_bin, deadline,
                          remaining)


def free_ports(n):
    """n ports free on 127.0.0.1 right now (bound to port 0, then released)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def connection_info(**fields):
    names = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
    info = dict(zip(names, free_ports(len(names))))
    info.update({"transport": "tcp", "ip": "127.0.0.1", "signature_scheme": "hmac-sha256",
                 "key": "", "kernel_name": "eddy"})
    for k, v in fields.items():
        if v is None:
            info.pop(k, None)
        else:
            info[k] = v
    return info


class SecurityEnv:
    """A temporary directory with a private HOME for kernels started by hand."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="eddy-sec-")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)

    def env(self, **extra):
        env = dict(os.environ)
        env.pop("EDDY_ALLOW_UNSIGNED", None)
        env.update({"HOME": self.home, "XDG_DATA_HOME": os.path.join(self.home, "data")})
        env.update(extra)
        return env

    def write(self, info):
        fd, path = tempfile.mkstemp(dir=self.root, suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        return path


def listening(port):
    """Local addresses (hex, as /proc/net/tcp* spells them) listening on port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                addr, hexport = cols[1].rsplit(":", 1)
                if cols[3] == "0A" and int(hexport, 16) == port:
                    found.append((table, addr))
    return found


class StartupRefusals(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = SecurityEnv()

    def run_kernel(self, info, *args, env=None):
        path = self.env.write(info)
        return subprocess.run([eddy_bin(), "kernel", "-f", path] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=REPLY_TIMEOUT, env=env or self.env.env())

    def assert_refused(self, info, needle, *args, env=None):
        p = self.run_kernel(info, *args, env=env)
        self.assertEqual(p.returncode, 1, "kernel started: %r" % p.stderr)
        self.assertIn(needle, p.stderr)
        for port in (info[k] for k in info if k.endswith("_port")):
            self.assertEqual(listening(port), [], "port %d was bound" % port)
        return p.stderr

    def test_empty_key_refused(self):
        err = self.assert_refused(connection_info(key=""), 'no "key"')
        self.assertIn("--allow-unsigned", err)
        self.assertIn("EDDY_ALLOW_UNSIGNED=1", err)

    def test_missing_key_refused(self):
        self.assert_refused(connection_info(key=None), 'no "key"')

    def test_allow_unsigned_must_be_exactly_1(self):
        self.assert_refused(connection_info(key=""), 'no "key"',
                            env=self.env.env(EDDY_ALLOW_UNSIGNED="yes"))

    def test_weak_scheme_refused(self):
        for scheme in ("hmac-md5", "hmac-sha1"):
            self.assert_refused(connection_info(key="k", signature_scheme=scheme),
                                "signature_scheme")

    def test_ip_that_is_not_an_address_refused(self):
        for ip in ("*", "localhost"):
            self.assert_refused(connection_info(key="k", ip=ip), "is not an IP address")

    def serve(self, info, args, env, mode=0o600):
        """Starts a kernel by hand on info, checks it answers kernel_info (signed as info
        says) and shuts down cleanly; returns its log."""
        path = self.env.write(info)
        os.chmod(path, mode)
        log = open(os.path.join(self.env.root, "kernel-by-hand.log"), "w+")
        proc = subprocess.Popen([eddy_bin(), "kernel", "-f", path] + args,
                                stdout=log, stderr=log, env=env)
        raw = RawConnection(info, iopub=False)
        try:
            raw.send("shell", "kernel_info_request")
            reply = raw.recv("shell")
            self.assertIsNotNone(reply, "no kernel_info_reply")
            self.assertEqual(reply["msg_type"], "kernel_info_reply")
            raw.send("control", "shutdown_request", {"restart": False})
            self.assertIsNotNone(raw.recv("control"))
            self.assertEqual(proc.wait(timeout=REPLY_TIMEOUT), 0)
        finally:
            raw.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.seek(0)
            text = log.read()
            log.close()
        return text

    def test_allow_unsigned_flag(self):
        log = self.serve(connection_info(key=""), ["--allow-unsigned"], self.env.env())
        self.assertIn("no key", log)  # the warning

    def test_allow_unsigned_env(self):
        log = self.serve(connection_info(key=""), [], self.env.env(EDDY_ALLOW_UNSIGNED="1"))
        self.assertIn("no key", log)

    def test_connection_file_others_can_read_is_warned(self):
        key = "k-" + os.urandom(8).hex()
        quiet = self.serve(connection_info(key=key), [], self.env.env())
        self.assertNotIn("other users", quiet)
        log = self.serve(connection_info(key=key), [], self.env.env(), mode=0o644)
        self.assertIn("readable or writable by other users (mode 0644)", log)
        self.assertNotIn(key, log)


class BindingAndLog(unittest.TestCase):
    """A kernel started by jupyter_client, with its log at debug level."""

    @classmethod
    def setUpClass(cls):
        cls.env = KernelEnv("eddy")
        saved = os.environ.get("EDDY_LOG")
        os.environ["EDDY_LOG"] = "debug"  # kernel_env() copies os.environ
        try:
            cls.kernel = cls.env.start()
        finally:
            if saved is None:
                os.environ.pop("EDDY_LOG")
            else:
                os.environ["EDDY_LOG"] = saved

    @classmethod
    def tearDownClass(cls):
        cls.kernel.shutdown()
        cls.env.cleanup()

    def test_ports_only_on_loopback(self):
        info = self.kernel.connection_info()
        self.assertEqual(info["ip"], "127.0.0.1")
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            where = listening(info[name])
            self.assertEqual(where, [("/proc/net/tcp", "0100007F")],
                             "%s %d listens on %r" % (name, info[name], where))

    def test_into_file_may_not_write_the_kernels_own_files(self):
        conn = self.kernel.km.connection_file
        with open(conn, "rb") as f:
            before = f.read()
        history = os.path.join(self.env.data_home, "eddy", "history.jsonl")
        self.kernel.client.execute("%set batch 200ms")  # the history file exists now
        self.assertTrue(os.path.exists(history), history)
        for path, what in ((conn, "connection file"), (history, "history")):
            reply, _ = self.kernel.client.execute(
                'demo sensors seed 1 limit 3 | into file "%s"' % path)
            self.assertEqual(reply["content"]["status"], "error", reply["content"])
            self.assertIn(what, reply["content"]["evalue"])
        with open(conn, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_kernelspec_is_public_and_holds_no_secret(self):
        # eddy install writes what Jupyter (and, for --prefix installs, other users) must
        # read: the umask's modes, not private ones, and nothing secret in it
        mask = os.umask(0)
        os.umask(mask)
        path = self.env.kernel_json_path
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o666 & ~mask)
        self.assertEqual(os.stat(os.path.dirname(path)).st_mode & 0o777, 0o777 & ~mask)
        spec = self.env.kernel_spec()
        self.assertNotIn("key", json.dumps(spec).lower())
        self.assertNotIn("--allow-unsigned", spec["argv"])
        self.assertNotIn("EDDY_ALLOW_UNSIGNED", spec.get("env", {}))

    def test_key_never_logged(self):
        info = self.kernel.connection_info()
        key = info["key"].decode() if isinstance(info["key"], bytes) else info["key"]
        self.assertGreaterEqual(len(key), 16)
        raw = RawConnection(info, iopub=False)
        try:
            raw.send("shell", "kernel_info_request", signature=b"0" * 64)  # forged
            raw.send("shell", "kernel_info_request", signature=key.encode())  # the key itself
            raw.send("shell", "kernel_info_request")
            self.assertIsNotNone(raw.recv("shell"))
        finally:
            raw.close()
        reply, _ = self.kernel.client.execute("demo sensors | wher x > 1")
        self.assertEqual(reply["content"]["status"], "error")
        dl = deadline(REPLY_TIMEOUT)
        while "dropped" not in self.kernel.log() and remaining(dl) > 0:
            self.kernel.client.request("shell", "kernel_info_request")
        log = self.kernel.log()
        self.assertIn("dropped", log, "the forged message was not logged")
        self.assertNotIn(key, log)
        self.assertNotIn(key[-8:], log)


if __name__ == "__main__":
    unittest.main()

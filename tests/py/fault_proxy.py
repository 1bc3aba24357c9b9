"""A fault-injecting HTTP proxy for Kinesis (and DynamoDB) JSON calls.

It sits between eddy and a real kinesalite on 127.0.0.1 and forwards every
request upstream, except the ones a schedule picks, which it spoils the way
AWS and networks do:

  throttle      400 ProvisionedThroughputExceededException (x-amzn-ErrorType
                header and __type body field, as AWS sends them)
  limit         400 LimitExceededException (control-plane throttling)
  500, 503      InternalFailure / ServiceUnavailable
  slow          forwards, then holds the answer `slow_s` seconds (inside the
                client's timeout)
  hang          forwards, then never answers until the client gives up and
                closes (past the client's timeout)
  hold          forwards, then holds the answer until the test sets
                `release` (or the proxy stops): the test decides what the
                client has seen when, with no guessed durations
  reset_request reads the request's headers, then resets the connection
                (nothing reaches the server)
  reset_response forwards (the server acts on it), sends the status line,
                headers and half of the body, then resets the connection

A schedule is a dict {(action, n): fault}: the n-th call (from 1) of action
gets fault. `log` records (monotonic time, action, n, fault or None) for
every request, `sent` {(action, n): monotonic time its answer was sent},
`hits` the faults served, `abandoned` {(action, n): monotonic time} of the
"hang" answers the client gave up on (it closed the connection while the
answer was held), `records` {n: number of records} of every GetRecords
answer forwarded with status 200. Threaded (one thread per client
connection, one upstream keep-alive connection each); stdlib only.
"""

import http.client
import json
import socket
import struct
import threading
import time

ERRORS = {
    "throttle": (400, "ProvisionedThroughputExceededException",
                 "Rate exceeded for shard shardId-000000000000 in stream S under account 1."),
    "limit": (400, "LimitExceededException", "Rate exceeded for stream S under account 1."),
    "500": (500, "InternalFailure", "Internal service failure."),
    "503": (503, "ServiceUnavailable", "Service unavailable."),
}

FAULTS = tuple(ERRORS) + ("slow", "hang", "hold", "reset_request", "reset_response")


class _Closed(Exception):
    pass


def _read_request(sock, buf):
    """(head bytes, headers dict lowercased, body bytes, rest of buf) or raises _Closed."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed()
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return head, lines[0], headers, buf


def _reset(sock):
    """Closes with a TCP RST (SO_LINGER 0) rather than a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultProxy:
    def __init__(self, upstream_port, schedule=None, slow_s=1.5, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.schedule = dict(schedule or {})
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.counts = {}
        self.log = []
        self.sent = {}
        self.hits = []
        self.abandoned = {}
        self.records = {}
        self.stopping = threading.Event()
        self.release = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.conns = set()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    # -- lifecycle

    def stop(self):
        self.stopping.set()
        self.release.set()
        self.thread.join(timeout=5)
        self.listener.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def pending(self):
        """Scheduled faults not served yet."""
        with self.lock:
            return {k: v for k, v in self.schedule.items()}

    def calls(self, action):
        with self.lock:
            return self.counts.get(action, 0)

    # -- serving

    def _accept(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns.add(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _decide(self, action):
        with self.lock:
            n = self.counts.get(action, 0) + 1
            self.counts[action] = n
            fault = self.schedule.pop((action, n), None)
            self.log.append((time.monotonic(), action, n, fault))
            if fault:
                self.hits.append((action, n, fault))
            return n, fault

    def _serve(self, sock):
        up = None
        buf = b""
        try:
            while not self.stopping.is_set():
                head, request_line, headers, buf = _read_request(sock, buf)
                action = headers.get("x-amz-target", "?.?").split(".")[-1]
                n, fault = self._decide(action)
                if fault == "reset_request":
                    _reset(sock)
                    return
                need = int(headers.get("content-length", "0"))
                if headers.get("expect", "").lower() == "100-continue" and len(buf) < need:
                    sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                while len(buf) < need:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise _Closed()
                    buf += chunk
                body, buf = buf[:need], buf[need:]
                if fault in ERRORS:
                    self._send_error(sock, fault)
                    continue
                if up is None:
                    up = http.client.HTTPConnection(*self.upstream, timeout=60)
                status, rheaders, rbody = self._forward(up, request_line, headers, body)
                if action == "GetRecords" and status == 200:
                    with self.lock:
                        self.records[n] = len(json.loads(rbody).get("Records", []))
                out = self._response(status, rheaders, rbody)
                if fault == "reset_response":
                    cut = out.index(b"\r\n\r\n") + 4 + len(rbody) // 2
                    sock.sendall(out[:cut])
                    _reset(sock)
                    return
                if fault == "slow":
                    self.stopping.wait(self.slow_s)
                elif fault == "hold":
                    self.release.wait()
                elif fault == "hang":
                    if self._wait_client_gone(sock):
                        with self.lock:
                            self.abandoned[(action, n)] = time.monotonic()
                    return
                sock.sendall(out)
                with self.lock:
                    self.sent[(action, n)] = time.monotonic()
        except (_Closed, OSError, http.client.HTTPException):
            pass
        finally:
            with self.lock:
                self.conns.discard(sock)
            try:
                sock.close()
            except OSError:
                pass
            if up is not None:
                up.close()

    def _wait_client_gone(self, sock, limit_s=120):
        """Holds the answer until the client closes (its timeout), at most limit_s.
        True if the client closed (or reset) the connection."""
        sock.settimeout(0.2)
        end = time.monotonic() + limit_s
        while time.monotonic() < end and not self.stopping.is_set():
            try:
                if not sock.recv(65536):
                    return True
            except socket.timeout:
                continue
            except OSError:
                return True
        return False

    def _forward(self, up, request_line, headers, body):
        method, path = request_line.split(" ")[:2]
        fwd = {k: v for k, v in headers.items()
               if k not in ("host", "connection", "content-length", "expect", "keep-alive")}
        for attempt in range(2):  # node drops idle keep-alive connections after 5 s
            try:
                up.request(method, path, body=body, headers=fwd)
                resp = up.getresponse()
                return resp.status, resp.getheaders(), resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                up.close()
                if attempt:
                    raise

    @staticmethod
    def _response(status, headers, body):
        lines = ["HTTP/1.1 %d %s" % (status, http.client.responses.get(status, "Status"))]
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                 "keep-alive", "date"):
                lines.append("%s: %s" % (k, v))
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _send_error(self, sock, fault):
        status, type_, message = ERRORS[fault]
        body = json.dumps({"__type": type_, "message": message}).encode()
        headers = [("x-amzn-RequestId", "fault-proxy"), ("x-amzn-ErrorType", type_ + ":"),
                   ("Content-Type", "application/x-amz-json-1.1")]
        sock.sendall(self._response(status, headers, body))

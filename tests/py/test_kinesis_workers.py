"""Scale-out end to end: two `eddy run` workers of one application (`as
"APP"`, leases in dynalite) read a kinesalite stream while `eddy produce`
writes to it. The second worker joins late and steals leases from the first;
together they must see every record (at least once: a lease that moves is
re-read from its last checkpoint, so a few duplicates are allowed)."""

import json
import os
import subprocess
import tempfile
import time
import unittest

from services import EDDY_BIN, Service


class WorkersTest(unittest.TestCase):
    def test_two_workers_split_a_stream(self):
        with Service("kinesalite") as k, Service("dynalite") as d, \
                tempfile.TemporaryDirectory() as tmp:
            env = k.env(AWS_ENDPOINT_URL_DYNAMODB=d.url)
            prod = subprocess.Popen([EDDY_BIN, "produce", "sensors", "--stream", "w",
                                     "--create", "4", "--rate", "300", "--seconds", "8",
                                     "--devices", "40"], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            time.sleep(0.5)
            workers, outs = [], []
            for w in (1, 2):
                out = os.path.join(tmp, "out%d.jsonl" % w)
                prog = os.path.join(tmp, "w%d.eddy" % w)
                with open(prog, "w") as f:
                    f.write('kinesis "w" from trim_horizon as "wapp"\n| parse json\n'
                            '| for 11s\n| select device_id, ts\n| into file "%s"\n' % out)
                outs.append(out)
                workers.append(subprocess.Popen([EDDY_BIN, "run", prog], env=env,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True))
                time.sleep(1)
            try:
                logs = [p.communicate(timeout=60)[0] for p in workers]
                plog = prod.communicate(timeout=60)[0]
            finally:
                for p in workers + [prod]:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
            for p, log in zip(workers, logs):
                self.assertEqual(p.returncode, 0, log)
            self.assertEqual(prod.returncode, 0, plog)
            per_worker = []
            for out in outs:
                with open(out) as f:
                    per_worker.append([json.loads(line) for line in f])
            self.assertTrue(all(per_worker), "a worker read nothing")
            keys = [(r["device_id"], r["ts"]) for rows in per_worker for r in rows]
            self.assertEqual(len(set(keys)), 2400, "records lost")
            self.assertLess(len(keys), 2400 * 1.25, "too many re-reads")


if __name__ == "__main__":
    unittest.main()

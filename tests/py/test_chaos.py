"""A few chaos rounds (scripts/chaos) per checkpoint store, against kinesalite
(and dynalite): a windowed event-time query is killed with SIGKILL once at each
named crash point of its store (EDDY_CRASH_AT, runtime/rt_crash.h: inside the
checkpoint file's write and rename, the DynamoDB state's chunks and switch,
the partials' publishing, the output's append) and once at a moment drawn from
a seeded RNG, resumed from its checkpoint each time while a producer keeps
putting records, then run to the end of the input.

Asserted exactly: every crash point was reached and killed the process; every
row any run wrote equals the window computed from the records (count and sum
by key), every line of the output is a row (none torn or glued), every window
was written, the committed position never moved back, and (DynamoDB) one
state version per shard is left once the last run stopped. Events and counts
only: no duration is asserted (scripts/chaos reports them)."""

import importlib.machinery
import importlib.util
import os
import unittest

from services import SOURCE_DIR


def load_chaos():
    path = os.path.join(SOURCE_DIR, "scripts", "chaos")
    loader = importlib.machinery.SourceFileLoader("chaos", path)
    spec = importlib.util.spec_from_loader("chaos", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


chaos = load_chaos()


class ChaosTest(unittest.TestCase):
    def check_store(self, store):
        kinds = chaos.POINTS[store] + ["random"]
        res = chaos.run_store(store, len(kinds), seed=7, per_round=200, kinds=kinds,
                              log=lambda line: None)
        table = "\n".join(chaos.fmt_row(r) for r in res["rounds"])
        where = "\n%s\n%s\nfiles: %s" % (chaos.HEADER, table, res["tmp"])
        rounds = res["rounds"][:-1]
        self.assertEqual([r["landed"] for r in rounds], kinds,
                         "a crash point was not reached" + where)
        self.assertEqual([r["died"] for r in rounds], [-9] * len(kinds), where)
        self.assertEqual([r["round"] for r in rounds if not r["exact"]], [],
                         "rows differ from the records" + where)
        self.assertFalse([r["round"] for r in rounds if r["backwards"]],
                         "a checkpoint moved back" + where)
        final = res["rounds"][-1]
        self.assertTrue(final["reached_last_window"], "the last window never came" + where)
        self.assertEqual(final["died"], 0, where)
        self.assertEqual(final["committed"], res["records"], where)
        self.assertEqual((res["n_missing"], res["extra"]), (0, []),
                         "windows missing or invented" + where)
        self.assertTrue(res["exact"], where)
        if store == "dynamodb":  # the orphans of kills before a switch were swept
            self.assertEqual(set(final["state_versions"].values()), {1},
                             "%s%s" % (final["state_versions"], where))

    def test_file_store(self):
        self.check_store("file")

    def test_dynamodb(self):
        self.check_store("dynamodb")


if __name__ == "__main__":
    unittest.main()

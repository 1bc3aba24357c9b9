#!/usr/bin/python3
"""Writes pageviews.jsonl, the small bounded data set of notebooks/tour.ipynb.

Deterministic (seeded): 6 users browse a shop between 10:00 and 10:30 UTC on
2026-11-20 in sessions separated by idle gaps of minutes. The file also holds
what real streams hold: retried events (the same event_id twice, seconds
apart), events that arrive late (minutes behind their neighbours), and one
line that is not JSON.

usage: gen_pageviews.py > pageviews.jsonl
"""
import datetime
import json
import random

PAGES = ["/", "/search", "/products", "/product/espresso-machine", "/cart",
         "/product/grinder", "/deals", "/checkout", "/product/kettle", "/help"]
WEIGHTS = [10, 6, 5, 4, 3, 3, 2, 2, 2, 1]
USERS = ["ana", "bo", "chen", "dara", "eli", "femi"]
T0 = datetime.datetime(2026, 11, 20, 10, 0, 0, tzinfo=datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def main():
    rnd = random.Random(7)
    events = []
    n = 0
    for user in USERS:
        t = T0 + datetime.timedelta(seconds=rnd.uniform(0, 120))
        while t < T0 + datetime.timedelta(minutes=30):
            for _ in range(rnd.randint(3, 12)):  # one session
                n += 1
                status = 200 if rnd.random() > 0.06 else rnd.choice([404, 500])
                events.append({"event_id": "e%04d" % n, "ts": t, "user_id": user,
                               "page": rnd.choices(PAGES, WEIGHTS)[0],
                               "ms": round(rnd.lognormvariate(4.6, 0.5)), "status": status})
                t += datetime.timedelta(seconds=rnd.uniform(4, 40))
            t += datetime.timedelta(minutes=rnd.uniform(3, 9))  # idle: the session ends
    events.sort(key=lambda e: e["ts"])
    lines = []
    for e in events:
        lines.append(dict(e, ts=iso(e["ts"])))
    # retries: the same event again, a little later in the file
    for i in rnd.sample(range(10, len(lines) - 10), 8):
        lines.insert(i + 3, dict(lines[i]))
    # late arrivals: events stamped five minutes before the ones around them
    for i in (60, 140):
        late = dict(lines[i], event_id="late%d" % i)
        t = datetime.datetime.fromisoformat(late["ts"].replace("Z", "+00:00"))
        late["ts"] = iso(t - datetime.timedelta(minutes=5))
        lines.insert(i + 1, late)
    out = [json.dumps(e, separators=(",", ":")) for e in lines]
    out.insert(100, '{"event_id":"e_broken","ts":"2026-11-20T10:12:00.000Z","user_id":')
    print("\n".join(out))


if __name__ == "__main__":
    main()

"""`python -m tools.bench_404`: how long a 404 takes for a restricted case and for a missing one.

An agent must not tell them apart (issue 9 item 8: 7.95 ms against 5.39 ms, median, before both
paths did the same work). Needs a running cases service holding at least one restricted case in
the country (`make run`, then `make demo`); prints both medians.
"""
import argparse
import random
import statistics
import sys
import time

import requests


def median_ms(session, url: str, headers: dict, rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = session.get(url, headers=headers, timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 404:
            raise SystemExit(f"{url} answered {answer.status_code}, not 404")
    return statistics.median(timings)


def measure(base_url: str, agent_token: str, focal_point_token: str, country: str, year: int,
            rounds: int) -> tuple[float, float]:
    """(restricted, missing) medians in milliseconds, requests alternating so load affects both alike."""
    session = requests.Session()
    focal = {"Authorization": f"Bearer {focal_point_token}"}
    cases = session.get(f"{base_url}/v1/cases", params={"limit": 200}, headers=focal, timeout=10).json()["cases"]
    restricted = next((case["reference"] for case in cases if case["restricted"] and case["country"] == country),
                      None)
    if restricted is None:
        raise SystemExit(f"no restricted case in {country}: send some messages first (make demo)")
    while True:
        missing = f"{country}-{year}-{random.randint(1, 999_999):06d}"
        if session.get(f"{base_url}/v1/cases/{missing}", headers=focal, timeout=10).status_code == 404:
            break
    agent = {"Authorization": f"Bearer {agent_token}"}
    restricted_ms, missing_ms = [], []
    for _ in range(rounds // 10):
        restricted_ms.append(median_ms(session, f"{base_url}/v1/cases/{restricted}", agent, 10))
        missing_ms.append(median_ms(session, f"{base_url}/v1/cases/{missing}", agent, 10))
    return statistics.median(restricted_ms), statistics.median(missing_ms)


def main(argv=None) -> int:
    from chassis.services import load_service
    from chassis.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8002")
    parser.add_argument("--country", default="GN")
    parser.add_argument("--year", type=int, default=time.gmtime().tm_year)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args(argv)
    from services.identity.commands import dev_token
    identity = load_settings(load_service("identity")[1], "identity")

    def token(role: str) -> str:
        return dev_token(identity, subject=f"bench-{role}", role=role, countries=[args.country])
    restricted, missing = measure(args.url, token("agent"), token("focal_point"), args.country, args.year,
                                  args.requests)
    print(f"404 for a restricted case: median {restricted:.2f} ms; for a missing case: median {missing:.2f} ms "
          f"({args.requests // 2} requests each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

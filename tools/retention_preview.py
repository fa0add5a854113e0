"""`make retention-preview COUNTRY=GN`: per service and kind, how many rows the retention job
(chassis/retention.py) would delete or anonymise now. Reads in read-only transactions: it changes
nothing."""
import argparse
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import psycopg

from chassis.retention import dry_run, kinds_of
from chassis.services import SERVICES, load_service
from chassis.settings import load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--country", help="one country code (kinds that are not per country are shown too)")
    args = parser.parse_args(argv)
    country = args.country.upper() if args.country else None
    print(f"{'service':<14}{'kind':<24}{'country':<9}{'older than':<22}{'rows':>8}")
    for name in SERVICES:
        service_cls, settings_model = load_service(name)
        settings = load_settings(settings_model, name, require_secrets=False)
        if country is not None and country not in settings.countries:
            print(f"{country} is not a configured country", file=sys.stderr)
            return 2
        with psycopg.connect(settings.database.url, options=f"-c search_path={settings.schema}") as conn:
            for row in dry_run(conn, settings, kinds_of(service_cls), country=country):
                print(f"{name:<14}{row['kind']:<24}{row['country'] or 'all':<9}"
                      f"{row['cutoff']:%Y-%m-%d %H:%M UTC}  {row['rows']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

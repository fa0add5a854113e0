"""`python -m services.reporting.rebuild` (make reindex): rebuild the search
indices from reporting's journal behind their aliases, while search keeps
answering. Run it after a mapping change or to recover a lost index."""
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import psycopg  # noqa: E402

from chassis.search import make_client  # noqa: E402
from chassis.settings import load_settings  # noqa: E402
from services.reporting.handlers import rebuild_index, staff_name_masks  # noqa: E402
from services.reporting.index import SearchIndexes  # noqa: E402
from services.reporting.settings import ReportingSettings  # noqa: E402


def main() -> int:
    settings = load_settings(ReportingSettings, "reporting")
    client = make_client(settings.elasticsearch.url)
    indexes = SearchIndexes(client, settings.elasticsearch.index_prefix)
    indexes.ensure()
    with psycopg.connect(settings.database.url, options=f"-c search_path={settings.schema}") as conn:
        summary = rebuild_index(conn, indexes, staff_name_masks(settings))
    print(f"rebuilt from {summary['events']} events: {summary['cases']} cases; now serving "
          + ", ".join(summary["indices"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

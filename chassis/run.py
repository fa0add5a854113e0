"""Run one service: `python -m chassis.run <name>`.

Reads the settings, configures logs and tracing, applies the service's
migrations and runs it until SIGTERM or Ctrl-C. If the service dies on its own
(nameko kills a container whose thread failed), the process exits with status 1
so that whatever supervises it starts it again, instead of lingering half dead.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything opens a socket

import argparse  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from chassis.db import apply_migrations  # noqa: E402
from chassis.logs import configure_logging  # noqa: E402
from chassis.tracing import configure_tracing, shutdown_tracing  # noqa: E402

from chassis.services import SERVICES, load_service  # noqa: E402

log = logging.getLogger("chassis.run")


def main(argv: list[str] | None = None) -> int:
    from chassis.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)

    service_cls, settings_cls = load_service(args.service)
    try:
        settings = load_settings(settings_cls, args.service)
    except SettingsError as exc:
        print(f"{args.service} not started: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.service, settings.logging.level)
    configure_tracing(settings)
    applied = apply_migrations(settings.database.url, settings.service)
    if applied:
        log.info("migrations applied: %s", ", ".join(applied))

    runner = ServiceRunner(config=settings.nameko_config())
    runner.add_service(service_cls)
    stopping = eventlet.event.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.ready() or stopping.send())
    signal.signal(signal.SIGINT, lambda *_: stopping.ready() or stopping.send())
    runner.start()
    log.info("service started on %s:%s", settings.http.host, settings.http.port)
    died = []

    def watch():
        try:
            runner.wait()
        except Exception as exc:
            log.critical("the service died; exiting so that it is started again", extra={"reason": type(exc).__name__})
            died.append(exc)
            if not stopping.ready():
                stopping.send()

    eventlet.spawn(watch)
    stopping.wait()
    log.info("stopping")
    with eventlet.Timeout(20, False):
        runner.kill() if died else runner.stop()
    shutdown_tracing()
    return 1 if died else 0


if __name__ == "__main__":
    sys.exit(main())

"""The service's link to RabbitMQ, made to come back by itself after an outage of any length.

nameko 2.14.1's consumer reconnects (kombu's ConsumerMixin), but around it:
- it settles messages catching only amqp's own `ConnectionError`: an ack written to a socket the
  broker has just reset raises the built-in `ConnectionResetError` (or `BrokenPipeError`) out of the
  worker, and nameko kills the whole container for it. The process stays up with no consumer and an
  HTTP server answering errors or nothing: the "wedged" service of issue 15;
- an RPC server whose reply cannot be published during the outage fails the same way, and an RPC
  caller waits for that reply for ever;
- while reconnecting it ignores stop requests and waits up to 30 s between attempts;
- nothing tells whether it is attached.

Every consumer of a service (events, RPC, RPC replies) shares the one `QueueConsumer` below.
"""
import logging
import time
from contextlib import contextmanager

import eventlet
from nameko import messaging as nameko_messaging
from nameko import rpc as nameko_rpc

log = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 1
RECONNECT_MAX_SECONDS = 5


class _Stopping(Exception):
    """Raised inside kombu's reconnect loop when the service is stopping."""


class QueueConsumer(nameko_messaging.QueueConsumer):
    def __init__(self):
        super().__init__()
        self.attached = False
        self.detached_since: float | None = time.monotonic()
        self.last_progress = time.monotonic()  # the consume or reconnect loop did something

    # Settling ---------------------------------------------------------------------------------------
    def ack_message(self, message) -> None:
        self._settle(message, message.ack, "ack")

    def requeue_message(self, message) -> None:
        self._settle(message, message.requeue, "requeue")

    def _settle(self, message, settle, what: str) -> None:
        # A message from a connection that is gone is already back on its queue: the broker
        # redelivers it and the consumer's idempotency drops the second effect.
        if not message_is_live(message):
            return
        try:
            settle()
        except Exception as exc:  # never let a lost connection kill the container
            log.warning("could not %s a message; the broker will redeliver it", what,
                        extra={"reason": type(exc).__name__})

    # Connection -------------------------------------------------------------------------------------
    def run(self):
        try:
            super().run(safety_interval=self.container.config["SETTINGS"].amqp.poll_seconds)
        except _Stopping:
            pass
        finally:
            self._detach()

    @contextmanager
    def establish_connection(self):
        self._detach()
        with self.create_connection() as conn:
            conn.ensure_connection(
                self.on_connection_error, self.connect_max_retries,
                interval_start=RECONNECT_FIRST_SECONDS, interval_step=1, interval_max=RECONNECT_MAX_SECONDS,
                callback=self._while_reconnecting)
            yield conn

    def _while_reconnecting(self) -> None:
        self.last_progress = time.monotonic()
        if self.should_stop:
            raise _Stopping()

    def on_connection_error(self, exc, interval):
        self.last_progress = time.monotonic()
        super().on_connection_error(exc, interval)

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        if self.detached_since is not None and self._consumers_ready.ready():
            log.info("consumers attached again", extra={"seconds": round(time.monotonic() - self.detached_since, 1)})
        self.attached, self.detached_since = True, None
        self.last_progress = time.monotonic()
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        self.last_progress = time.monotonic()
        super().on_iteration()

    def _detach(self) -> None:
        if self.attached:
            self.attached, self.detached_since = False, time.monotonic()

    def health(self, stall_seconds: float) -> tuple[str, str]:
        """(readiness, liveness) of the consumer: "ok" or why not."""
        return consumer_health(
            running=self._gt is not None and not self._gt.dead, stopping=self.should_stop,
            attached=self.attached, seconds_since_progress=time.monotonic() - self.last_progress,
            stall_seconds=stall_seconds)


def consumer_health(running: bool, stopping: bool, attached: bool, seconds_since_progress: float,
                    stall_seconds: float) -> tuple[str, str]:
    """Ready only while attached; alive while the consume or reconnect loop keeps moving
    (it turns at least once a second whether or not the broker is there)."""
    if not running or stopping:
        return "stopped", "consumer stopped"
    live = "ok" if seconds_since_progress <= stall_seconds else f"stalled for {int(seconds_since_progress)}s"
    return ("ok" if attached else "detached"), live


def message_is_live(message) -> bool:
    """True while the channel the message came on is open (it can still be acked on it)."""
    channel = message.channel
    return bool(channel is not None and getattr(channel, "is_open", True) and channel.connection)


# RPC ----------------------------------------------------------------------------------------------------
class RpcTimeout(Exception):
    """No reply in time: the request or its reply may have been lost with a connection."""


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = QueueConsumer()

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except Exception as exc:
            # The reply could not be published (the broker is away): the request goes back to its
            # queue to be answered once the broker is back; the caller's own timeout covers the rest.
            log.warning("could not send an RPC reply; the request is requeued", extra={"reason": type(exc).__name__})
            self.queue_consumer.requeue_message(message)
            return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator


class ReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = QueueConsumer()


class _MethodProxy(nameko_rpc.MethodProxy):
    def __init__(self, *args, timeout: float, **kwargs):
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        reply = self._call(*args, **kwargs)
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout:
            waiting = self.reply_listener._reply_events
            for correlation_id, event in list(waiting.items()):
                if event is reply.reply_event:
                    del waiting[correlation_id]
            raise RpcTimeout(f"{self.service_name}.{self.method_name} did not answer in {self.timeout}s") from None


class _ServiceProxy(nameko_rpc.ServiceProxy):
    def __init__(self, *args, timeout: float, **kwargs):
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def __getattr__(self, name):
        return _MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, timeout=self.timeout,
                            **self.options)


class RpcProxy(nameko_rpc.RpcProxy):
    """nameko's RpcProxy whose calls give up after `amqp.rpc_timeout_seconds` instead of waiting for
    ever for a reply lost with a connection."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx):
        timeout = self.container.config["SETTINGS"].amqp.rpc_timeout_seconds
        return _ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, timeout=timeout,
                             **self.options)


def queue_consumer_of(container) -> QueueConsumer | None:
    """The service's shared consumer, when it has any consumer at all."""
    for extension in container.extensions:
        if isinstance(extension, QueueConsumer):
            return extension
    return None

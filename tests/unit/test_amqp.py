"""The consumer's health and how it settles messages when the connection has just gone."""
from chassis.amqp import QueueConsumer, consumer_health


class ResetChannel:
    """A channel whose socket the broker has just reset: the client does not know yet."""
    is_open = True
    connection = object()


class Message:
    def __init__(self, channel, error: Exception | None = None):
        self.channel = channel
        self.error = error
        self.settled = []

    def ack(self):
        if self.error:
            raise self.error
        self.settled.append("ack")

    def requeue(self):
        if self.error:
            raise self.error
        self.settled.append("requeue")


def test_an_ack_on_a_connection_reset_under_it_does_not_escape():
    # nameko's own QueueConsumer lets this error out of the worker, and nameko then kills the container.
    consumer = QueueConsumer()
    for error in (ConnectionResetError(104, "reset"), BrokenPipeError(32, "broken pipe")):
        consumer.ack_message(Message(ResetChannel(), error))
        consumer.requeue_message(Message(ResetChannel(), error))


def test_a_message_of_a_closed_channel_is_left_to_the_broker():
    class Closed:
        is_open = False
        connection = None

    message = Message(Closed())
    QueueConsumer().ack_message(message)
    assert message.settled == []
    live = Message(ResetChannel())
    QueueConsumer().ack_message(live)
    assert live.settled == ["ack"]


def test_ready_only_while_attached_and_alive_while_the_loop_moves():
    assert consumer_health(running=True, stopping=False, attached=True, seconds_since_progress=0.5,
                           stall_seconds=60) == ("ok", "ok")
    # The broker is away: not ready, but the reconnect loop turns every second, so alive.
    assert consumer_health(running=True, stopping=False, attached=False, seconds_since_progress=1,
                           stall_seconds=60) == ("detached", "ok")
    ready, live = consumer_health(running=True, stopping=False, attached=True, seconds_since_progress=75,
                                  stall_seconds=60)
    assert ready == "ok" and live.startswith("stalled")
    assert consumer_health(running=False, stopping=False, attached=False, seconds_since_progress=0,
                           stall_seconds=60)[1] != "ok"

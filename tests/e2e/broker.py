"""A RabbitMQ node of the test's own, which the test may stop and start at will.

The machine's RabbitMQ (127.0.0.1:5672) is shared with other people's tests and must never be stopped,
so a test that needs a real broker outage starts a second node from the same installed packages: its
own node name, AMQP and distribution ports, data and log directories, no plugins (no management
listener), and a HOME of its own so that it and `rabbitmqctl` share an Erlang cookie nobody else uses.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # the real scripts: /usr/sbin's wrappers `su` to the rabbitmq user


def private_broker_available() -> str | None:
    """Why a private node cannot run here, or None when it can."""
    if not (RABBIT_BIN / "rabbitmq-server").exists() and not shutil.which("rabbitmq-server"):
        return "rabbitmq-server is not installed"
    return None


class PrivateBroker:
    def __init__(self, port: int, dist_port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="cfm-broker-"))
        self.node = f"cfmtest{uuid.uuid4().hex[:8]}@localhost"
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{port}\n"
            "loopback_users = none\n"
            "log.console = false\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's, which names the shared node
        self.env = {
            **os.environ,
            "HOME": str(self.dir),  # the Erlang cookie is created here, shared by the node and rabbitmqctl
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.uri = f"amqp://guest:guest@127.0.0.1:{port}/"

    def _run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([str(RABBIT_BIN / args[0]), *args[1:]], env=self.env, cwd=self.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)

    def ctl(self, *args: str, timeout: float = 120) -> None:
        self._run("rabbitmqctl", "-n", self.node, *args, timeout=timeout)

    def start_node(self) -> None:
        """Boot the Erlang node and RabbitMQ in it; returns once it accepts connections."""
        self._run("rabbitmq-server", "-detached")
        self.ctl("wait", str(self.dir / "node.pid"), "--timeout", "120", timeout=150)

    def stop(self) -> None:
        """Stop RabbitMQ in the node: every client connection is closed and new ones are refused
        until start(); durable queues and persistent messages are kept, as in a restart."""
        self.ctl("stop_app")

    def start(self) -> None:
        self.ctl("start_app")

    def crash(self) -> None:
        """Kill the node's VM outright (no goodbye to the clients), then boot it again."""
        pid = int((self.dir / "node.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)

    def close(self) -> None:
        try:
            self.ctl("stop", str(self.dir / "node.pid"), timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
            try:
                os.kill(int((self.dir / "node.pid").read_text().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

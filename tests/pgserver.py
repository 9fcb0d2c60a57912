"""PostgreSQL for the suite: the configured server when one answers, else a throwaway of our own.

``make test`` promises to work on a fresh machine where no PostgreSQL may be running. When nothing
answers at ``EVENTGUARD_TEST_PG_URL`` (default ``127.0.0.1:5432``), :func:`resolve_url` starts a
private server with Debian's ``postgresql`` binaries: ``initdb`` into a temporary directory, trust
auth, a free port on 127.0.0.1, a ``test`` database; it is stopped and removed when the run ends.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "no PostgreSQL answers at EVENTGUARD_TEST_PG_URL and Debian's postgresql binaries are missing: "
            "sudo apt-get install -y postgresql (scripts/test-prereqs does this in `make test`)"
        )
    return os.path.dirname(found[-1])


def _as_postgres(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _start_throwaway() -> str:
    bindir = _binaries()
    root = tempfile.mkdtemp(prefix="eventguard-pg-")
    data = os.path.join(root, "data")
    os.mkdir(data)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    initdb = [f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
    subprocess.run(_as_postgres(initdb), **quiet)  # type: ignore[call-overload]
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    start = [f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-o", options, "-w", "start"]
    subprocess.run(_as_postgres(start), **quiet)  # type: ignore[call-overload]

    def _stop() -> None:
        stop = [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres(stop), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(_stop)
    create = [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test"]
    for _ in range(50):  # pg_ctl -w returns once the server accepts connections; be patient anyway
        if subprocess.run(create, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"the throwaway PostgreSQL in {root} did not accept createdb")
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"


def resolve_url() -> str:
    """The URL the suite uses; exported to ``EVENTGUARD_TEST_PG_URL`` for subprocesses."""
    url = os.environ.get("EVENTGUARD_TEST_PG_URL", DEFAULT_URL)
    parts = urlsplit(url)
    if not _answers(parts.hostname or "127.0.0.1", parts.port or 5432):
        url = _start_throwaway()
        os.environ["EVENTGUARD_TEST_PG_URL"] = url
    return url

"""A private OpenLDAP server (Debian's slapd) for the LDAP login tests: its own slapd.conf and mdb
database in a temporary folder, on a free port of 127.0.0.1, loaded from an LDIF with slapadd before it
starts, stopped after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=example,dc=cn"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-secret"
SCHEMAS = ("core", "cosine", "inetorgperson")

CONFIG = """\
{includes}
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {folder}/data
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


def slapd_path() -> str | None:
    # Debian puts slapd in /usr/sbin, which is on root's PATH only.
    return shutil.which("slapd", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


@dataclass(frozen=True)
class Directory:
    uri: str

    def modify(self, ldif: str) -> None:
        """Change the directory as its administrator would (ldapmodify)."""
        done = subprocess.run(
            ["ldapmodify", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
            input=ldif,
            text=True,
            capture_output=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_slapd(folder: Path, ldif: str) -> Iterator[Directory]:
    slapd = slapd_path()
    (folder / "data").mkdir(parents=True)
    includes = "\n".join(f"include /etc/ldap/schema/{schema}.schema" for schema in SCHEMAS)
    config = folder / "slapd.conf"
    config.write_text(
        CONFIG.format(
            includes=includes,
            folder=folder,
            suffix=SUFFIX,
            admin_dn=ADMIN_DN,
            admin_password=ADMIN_PASSWORD,
        )
    )
    (folder / "data.ldif").write_text(ldif)
    subprocess.run(
        [str(Path(slapd).with_name("slapadd")), "-f", str(config), "-l", str(folder / "data.ldif")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = _free_port()
    uri = f"ldap://127.0.0.1:{port}"
    # -d 0: stay in the foreground, so that the process we started is the server we stop.
    server = subprocess.Popen(
        [slapd, "-f", str(config), "-h", uri, "-d", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"slapd did not start: {server.stderr.read().decode()}") from None
                time.sleep(0.05)
        yield Directory(uri)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

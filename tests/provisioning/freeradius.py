"""A real FreeRADIUS (Debian's package) for the tests and the benchmark.

`FreeRadius` writes a minimal raddb into a temporary folder: PAP, the `sql` module on the
PostgreSQL dialect with the package's own queries.conf, pointed at the given database, a client
entry for 127.0.0.1, and an auth and an acct listener on free loopback ports; then it runs
`freeradius -f` as a child process until `stop()`. It needs no pytest, so the benchmark uses it
too. `FreeRadiusMissing` says what to install when the binary or the package's files are absent.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

FREERADIUS = Path("/usr/sbin/freeradius")
PACKAGE_RADDB = Path("/etc/freeradius/3.0")
PACKAGE_SQL = PACKAGE_RADDB / "mods-config/sql/main/postgresql"
DICTIONARY = Path(__file__).resolve().parents[2] / "src/headend/provisioning/dictionary"


class FreeRadiusMissing(RuntimeError):
    """FreeRADIUS or one of its package's files is not installed or not readable."""


def require_installed() -> None:
    if not FREERADIUS.exists():
        raise FreeRadiusMissing(
            f"{FREERADIUS} is missing: run scripts/ensure-freeradius (as root) to install Debian's "
            "freeradius, freeradius-postgresql and freeradius-utils."
        )
    for path in (PACKAGE_SQL / "queries.conf", PACKAGE_SQL / "schema.sql"):
        if not os.access(path, os.R_OK):
            raise FreeRadiusMissing(
                f"Cannot read {path} (Debian keeps /etc/freeradius for root and the freerad group): "
                "run the tests as root, or add your user to the freerad group."
            )


def schema_sql() -> str:
    """The PostgreSQL schema the installed package ships for rlm_sql."""
    require_installed()
    return (PACKAGE_SQL / "schema.sql").read_text()


def free_udp_ports(count: int) -> list[int]:
    """Distinct free loopback UDP ports: every socket is held until all are chosen, so no two are the same."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


class PortTaken(RuntimeError):
    """FreeRADIUS could not bind a port chosen as free."""


@dataclass
class Database:
    name: str
    host: str = "127.0.0.1"
    port: str = "5432"
    user: str = "postgres"
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> "Database":
        return cls(
            name=settings_dict["NAME"],
            host=settings_dict.get("HOST") or "127.0.0.1",
            port=str(settings_dict.get("PORT") or "5432"),
            user=settings_dict.get("USER") or "postgres",
            password=settings_dict.get("PASSWORD") or "",
        )


@dataclass
class Reply:
    code: int
    attributes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.code == packet.AccessAccept


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class FreeRadius:
    database: Database
    secret: str = "testing123"
    threads: int = 4
    sql_connections: int = 2
    auth_port: int = 0
    acct_port: int = 0
    raddb: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="headend-raddb-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.raddb / "freeradius.log"

    def log(self, tail: int = 60) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])
        return ""

    def write_config(self) -> None:
        require_installed()
        if not (self.auth_port and self.acct_port):
            self.auth_port, self.acct_port = free_udp_ports(2)
        for folder in ("log", "run", "radacct"):
            (self.raddb / folder).mkdir(exist_ok=True)
        # The local dictionary: Debian's /usr/share/freeradius/dictionary is read first.
        (self.raddb / "dictionary").write_text("")
        db = self.database
        config = f"""
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = {self.raddb}
confdir = ${{raddbdir}}
modconfdir = {PACKAGE_RADDB}/mods-config
logdir = ${{raddbdir}}/log
radacctdir = ${{raddbdir}}/radacct
run_dir = ${{raddbdir}}/run
db_dir = ${{raddbdir}}
libdir = /usr/lib/freeradius
name = freeradius
pidfile = ${{run_dir}}/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {{
    destination = stdout
    colourise = no
    auth = no
}}
security {{
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = yes
}}
thread pool {{
    start_servers = {self.threads}
    max_servers = {self.threads}
    min_spare_servers = 1
    max_spare_servers = {self.threads}
    max_requests_per_server = 0
    auto_limit_acct = no
}}
client loopback {{
    ipaddr = 127.0.0.1
    secret = {_quote(self.secret)}
    require_message_authenticator = no
}}
modules {{
    pap {{
        normalise = yes
    }}
    expr {{
    }}
    sql {{
        dialect = "postgresql"
        driver = "rlm_sql_postgresql"
        server = {_quote(db.host)}
        port = {db.port}
        login = {_quote(db.user)}
        password = {_quote(db.password)}
        radius_db = {_quote(db.name)}
        postgresql {{
            send_application_name = yes
        }}
        acct_table1 = "radacct"
        acct_table2 = "radacct"
        postauth_table = "radpostauth"
        authcheck_table = "radcheck"
        groupcheck_table = "radgroupcheck"
        authreply_table = "radreply"
        groupreply_table = "radgroupreply"
        usergroup_table = "radusergroup"
        read_groups = yes
        read_profiles = no
        delete_stale_sessions = yes
        client_table = "nas"
        group_attribute = "SQL-Group"
        pool {{
            start = {self.sql_connections}
            min = {self.sql_connections}
            max = {self.sql_connections}
            spare = 0
            uses = 0
            retry_delay = 1
            lifetime = 0
            idle_timeout = 0
        }}
        $INCLUDE {PACKAGE_SQL}/queries.conf
    }}
}}
server default {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {self.auth_port}
    }}
    listen {{
        type = acct
        ipaddr = 127.0.0.1
        port = {self.acct_port}
    }}
    authorize {{
        sql
        pap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
    }}
    preacct {{
        # What the stock acct_unique policy does: one key per session and NAS.
        update request {{
            &Acct-Unique-Session-Id := "%{{md5:%{{User-Name}},%{{Acct-Session-Id}},%{{NAS-IP-Address}}}}"
        }}
    }}
    accounting {{
        sql
    }}
    post-auth {{
        # As the stock site's attr_filter.access_reject: a reject carries no plan attributes.
        Post-Auth-Type REJECT {{
            update {{
                &reply: !* ANY
            }}
        }}
    }}
}}
"""
        (self.raddb / "radiusd.conf").write_text(config)

    def start(self, timeout: float = 15.0) -> "FreeRadius":
        """Start the server; a port another process took between choosing and binding is chosen again."""
        for attempt in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                if attempt == 2:
                    raise
                self.auth_port = self.acct_port = 0
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> "FreeRadius":
        self.write_config()
        # FreeRADIUS checks its configuration before it starts: show why it refuses.
        check = subprocess.run(
            [str(FREERADIUS), "-C", "-d", str(self.raddb), "-n", "radiusd"], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"FreeRADIUS refused its configuration:\n{check.stdout[-3000:]}{check.stderr[-2000:]}")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(FREERADIUS), "-f", "-l", "stdout", "-d", str(self.raddb), "-n", "radiusd"],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                error = PortTaken if "Address already in use" in log else RuntimeError
                raise error(f"FreeRADIUS exited with {self.process.returncode}:\n{log}")
            if self.is_ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"FreeRADIUS did not answer on 127.0.0.1:{self.auth_port} within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.raddb, ignore_errors=True)

    def client(self, *, timeout: float = 3.0, retries: int = 1) -> Client:
        return Client(
            server="127.0.0.1",
            authport=self.auth_port,
            acctport=self.acct_port,
            secret=self.secret.encode(),
            dict=Dictionary(str(DICTIONARY)),
            timeout=timeout,
            retries=retries,
        )

    def is_ready(self) -> bool:
        client = self.client(timeout=0.3, retries=1)
        request = client.CreateAuthPacket(code=packet.StatusServer)
        try:
            client.SendPacket(request)
        except (Timeout, OSError):
            return False
        return True

    def authenticate(self, username: str, password: str = "") -> Reply:
        """Send a PAP Access-Request, as a NAS does when a subscriber connects."""
        client = self.client()
        request = client.CreateAuthPacket(User_Name=username, NAS_IP_Address="127.0.0.1")
        request["User-Password"] = request.PwCrypt(password)
        return _reply(client.SendPacket(request))

    def account(self, status: str, *, username: str, session_id: str, **attributes: Any) -> Reply:
        """Send an Accounting-Request (Start, Interim-Update or Stop) for one session."""
        client = self.client()
        request = client.CreateAcctPacket(
            Acct_Status_Type=status, User_Name=username, Acct_Session_Id=session_id, **attributes
        )
        return _reply(client.SendPacket(request))


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies without stopping it."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _reply(raw: packet.Packet) -> Reply:
    attributes: dict[str, list[Any]] = {}
    for key in raw.keys():  # noqa: SIM118 (pyrad's keys() names the attributes; iteration gives codes)
        name = key if isinstance(key, str) else str(key)
        if name == "Message-Authenticator":
            continue
        attributes[name] = list(raw[key])
    return Reply(code=raw.code, attributes=attributes)

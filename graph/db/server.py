"""The embedded default Neo4j: a real Neo4j 5.26 LTS Community server that medkg runs itself.

The official ``org.neo4j:neo4j`` artifacts from Maven Central, run by a one-class Java launcher kept in
``graph/db/launcher`` and built with Maven on first use; Bolt on ``127.0.0.1`` only, auth enabled. With
``start(browser=True)`` Neo4j's own web server also serves Neo4j Browser (``org.neo4j.client:neo4j-browser``)
on ``http://127.0.0.1:<http_port>/browser/``; it logs in over Bolt with the same password. The home folder
holds ``data/``, ``logs/`` (Neo4j's logs), ``password`` (0600), ``neo4j.pid`` and ``launcher.log``.

Example:
    >>> from pathlib import Path
    >>> server = LocalNeo4j(Path("/tmp/medkg-neo4j"), port=7687)
    >>> server.uri
    'bolt://127.0.0.1:7687'
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from graph.db.config import MedkgSettings

__all__ = ["BROWSER_VERSION", "NEO4J_VERSION", "LauncherBuildError", "LocalNeo4j", "free_port", "Neo4jServerError",
           "PasswordFileError", "PortInUseError", "ServerStatus"]

log = logging.getLogger(__name__)

NEO4J_VERSION = "5.26.30"
"""The Neo4j release the launcher's pom.xml pins."""
BROWSER_VERSION = "5.24.0"
"""The Neo4j Browser release (``org.neo4j.client:neo4j-browser``) the launcher's pom.xml pins."""

MIN_JAVA = 17
MIN_MAVEN = "3.6.3"
LAUNCHER_CLASS = "medkg.launcher.Neo4jLauncher"
READY_MARK = "MEDKG_NEO4J_READY"
JAR_NAME = "medkg-neo4j-launcher.jar"
SOURCES = Path(__file__).resolve().parent / "launcher"
STAMP_NAME = ".medkg-sources.sha256"
USER = "neo4j"
JVM_OPTIONS = [  # from Neo4j's own start script; --add-opens spares the page cache a slow fallback
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+DisableExplicitGC", "-Dlog4j2.disable.jmx=true",
    "-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
]
_SIZE = re.compile(r"^(\d+)([kmg])$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Debian's Maven colours even with -B


class Neo4jServerError(RuntimeError):
    """The embedded Neo4j could not be started, stopped or reached."""


class LauncherBuildError(Neo4jServerError):
    """Java or Maven is missing or too old, or the Maven build of the launcher failed."""


class PortInUseError(Neo4jServerError):
    """Another program already listens on the Bolt (or the Browser's HTTP) port."""


class PasswordFileError(Neo4jServerError):
    """The password file is readable by others or holds no usable password."""


@dataclass(frozen=True)
class ServerStatus:
    """What :meth:`LocalNeo4j.status` finds.

    Attributes:
        running: the launcher process is alive and Bolt answers.
        uri: the Bolt URI when running.
        pid: pid of the launcher process when it is alive.
        version: Neo4j version reported by ``dbms.components()`` when running.
        home: the server's folder.
        data_dir: Neo4j's database files.
        port: the Bolt port (on 127.0.0.1).
        log_file: the launcher's log (Neo4j's own logs are in ``<home>/logs``).
        http_port: the HTTP port (on 127.0.0.1) when the server runs with Neo4j Browser, else None.
        browser_url: where Neo4j Browser is served when it runs with it, else None.
    """

    running: bool
    uri: str | None
    pid: int | None
    version: str | None
    home: Path
    data_dir: Path
    port: int
    log_file: Path
    http_port: int | None = None
    browser_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (paths as strings)."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}


class LocalNeo4j:
    """The embedded default Neo4j."""

    def __init__(self, home: Path, port: int = 7687, heap: str = "1g", pagecache: str = "512m",
                 launcher_dir: Path | None = None, http_port: int = 7474, *, tx_memory: str = "256m",
                 protected: bool = True) -> None:
        """Describe a server; nothing is built, started or written here.

        Args:
            home: the server's folder (created on first start).
            port: Bolt port on 127.0.0.1.
            http_port: HTTP port on 127.0.0.1 for Neo4j Browser, used by ``start(browser=True)``.
            heap: Java heap (``-Xmx``), e.g. ``1g``.
            pagecache: Neo4j page cache, e.g. ``512m``.
            launcher_dir: where the Java launcher is built; default from :class:`MedkgSettings`.
            tx_memory: most heap one transaction may use (``db.memory.transaction.max``), e.g. ``256m``.
            protected: start with the protective configuration (no file URLs for LOAD CSV, an empty import
                folder ``<home>/import``, every address on the Cypher IP blocklist, no extension procedures,
                the per-transaction memory cap). Only tests that prove the read-only runner holds on its
                own start a server without it.

        Raises:
            ValueError: the port or a memory size is malformed.
        """
        for name, number in (("port", port), ("http_port", http_port)):
            if not 1 <= number <= 65535:
                raise ValueError(f"{name} must be in 1..65535, got {number}")
        for name, size in (("heap", heap), ("pagecache", pagecache), ("tx_memory", tx_memory)):
            if not _SIZE.match(size.strip().lower()):
                raise ValueError(f"{name} must look like 512m or 1g, got {size!r}")
        self.home = Path(home).expanduser().absolute()
        self.data_dir, self.log_file = self.home / "data", self.home / "launcher.log"
        self.password_file, self.pid_file = self.home / "password", self.home / "neo4j.pid"
        self.port, self.http_port = port, http_port
        self.heap = heap.strip().lower()
        self.pagecache = pagecache.strip().lower()
        self.tx_memory, self.protected = tx_memory.strip().lower(), protected
        self.import_dir = self.home / "import"
        if launcher_dir is None:
            from graph.db.config import MedkgSettings

            launcher_dir = MedkgSettings().launcher_build_dir
        self.launcher_dir = Path(launcher_dir).expanduser().absolute()

    @classmethod
    def from_settings(cls, settings: MedkgSettings) -> LocalNeo4j:
        """The embedded server the ``MEDKG_*`` settings describe."""
        return cls(settings.neo4j_home, port=settings.neo4j_port, heap=settings.neo4j_heap,
                   pagecache=settings.neo4j_pagecache, launcher_dir=settings.launcher_build_dir,
                   http_port=settings.neo4j_http_port, tx_memory=settings.neo4j_tx_memory)

    @property
    def uri(self) -> str:
        """Bolt URI of the server (always loopback)."""
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        """``("neo4j", password)``; generates the password on first use."""
        return USER, self.password()

    def password(self) -> str:
        """The neo4j user's password, generated into ``<home>/password`` (0600) on first use.

        Raises:
            PasswordFileError: the file is accessible by group or others, or empty.
        """
        try:
            return self._read_password()
        except FileNotFoundError:
            pass
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first
            return self._read_password()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        log.info("generated a password for the embedded Neo4j in %s", self.password_file)
        return self._read_password()

    def _read_password(self) -> str:
        mode = self.password_file.stat().st_mode
        if mode & 0o077:
            raise PasswordFileError(f"{self.password_file} is accessible by group or others "
                                    f"(mode {stat.filemode(mode)}); run: chmod 600 {self.password_file}")
        password = self.password_file.read_text(encoding="utf-8").strip()
        if len(password) < 8:
            raise PasswordFileError(f"{self.password_file} holds no usable password (8+ characters); "
                                    "delete it to have a new one generated")
        return password

    def build(self, *, quiet: bool = True) -> list[Path]:
        """Build the Java launcher with Maven if its sources changed (sha256 stamp); return the classpath.

        Args:
            quiet: run Maven with ``-q`` and show its output only when it fails.

        Returns:
            ``[<launcher_dir>/target/medkg-neo4j-launcher.jar, <launcher_dir>/target/lib/*]``.

        Raises:
            LauncherBuildError: java or mvn is missing or too old, or the build failed.
        """
        target = self.launcher_dir / "target"
        classpath = [target / JAR_NAME, target / "lib" / "*"]
        digest = _sources_digest()
        stamp = self.launcher_dir / STAMP_NAME
        if _is_built(self.launcher_dir, stamp, digest):
            return classpath
        self.launcher_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.launcher_dir / ".build.lock"):
            if _is_built(self.launcher_dir, stamp, digest):
                return classpath
            _java_executable()
            mvn = _maven_executable()
            stamp.unlink(missing_ok=True)
            shutil.rmtree(self.launcher_dir / "src", ignore_errors=True)
            for rel in _source_files():
                (self.launcher_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(SOURCES / rel, self.launcher_dir / rel)
            log.info("building the Neo4j %s launcher in %s (the first build downloads ~130 MB)",
                     NEO4J_VERSION, self.launcher_dir)
            started = time.monotonic()
            _run_maven(mvn, self.launcher_dir, quiet=quiet)
            stamp.write_text(digest + "\n", encoding="utf-8")
            if not _is_built(self.launcher_dir, stamp, digest):
                raise LauncherBuildError(f"Maven succeeded but left no {JAR_NAME} and lib/ in {target}")
            log.info("launcher built in %.1fs", time.monotonic() - started)
        return classpath

    def status(self) -> ServerStatus:
        """Whether the server runs, with its pid, version and Browser URL; never starts anything."""
        pid, cmdline = self._running()
        version = None
        if pid is not None:
            try:
                version = self._probe()
            except Neo4jServerError as exc:
                log.warning("%s", exc)
        running = version is not None
        http_port = _option(cmdline, "--http-port") if running else None
        return ServerStatus(running=running, uri=self.uri if running else None, pid=pid, version=version,
                            home=self.home, data_dir=self.data_dir, port=self.port, log_file=self.log_file,
                            http_port=http_port, browser_url=_browser_url(http_port) if http_port else None)

    def start(self, timeout: float = 180, *, browser: bool = False, http_port: int | None = None) -> ServerStatus:
        """Start the server and wait until Bolt accepts the password; a no-op when it already runs.

        Args:
            timeout: seconds to wait for the server to answer (the build is not counted).
            browser: also serve Neo4j Browser over HTTP on 127.0.0.1 (without it HTTP stays disabled).
            http_port: the Browser's HTTP port; default the ``http_port`` given to the constructor.

        Raises:
            ValueError: ``http_port`` is out of range or equals the Bolt port.
            LauncherBuildError: the launcher cannot be built.
            PortInUseError: another program listens on the Bolt or the HTTP port.
            Neo4jServerError: the server exited or did not answer in time (with the log's tail), or it
                already runs without the Browser (or with it on another port) when ``browser`` is asked for.
        """
        http = (http_port or self.http_port) if browser else None
        if http is not None and (not 1 <= http <= 65535 or http == self.port):
            raise ValueError(f"the Browser's HTTP port must be in 1..65535 and differ from Bolt's {self.port}, "
                             f"got {http}")
        if (current := self.status()).running:
            if http is not None and current.http_port != http:
                serving = f"Neo4j Browser on port {current.http_port}" if current.http_port else "no Neo4j Browser"
                raise Neo4jServerError(f"Neo4j already runs on {self.uri} with {serving}; stop it first "
                                       f"(medkg db stop) to start it with the Browser on port {http}")
            return current
        classpath = self.build()
        java = _java_executable()
        self.password()
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _file_lock(self.home / ".lock"):
            if self._running()[0] is not None:  # alive but not answering (yet): give it the timeout
                self._wait_ready(None, time.monotonic() + timeout)
                return self.status()
            _check_port_free(self.port, "Bolt", "MEDKG_NEO4J_PORT")
            if http is not None:
                _check_port_free(http, "HTTP (Neo4j Browser)", "--http-port or MEDKG_NEO4J_HTTP_PORT")
            (self.home / "logs").mkdir(exist_ok=True)
            if self.log_file.exists():
                self.log_file.replace(self.log_file.with_suffix(".log.1"))
            cmd = [java, f"-Xmx{self.heap}", f"-Xms{_initial_heap(self.heap)}", *JVM_OPTIONS,
                   "-cp", os.pathsep.join(str(p) for p in classpath), LAUNCHER_CLASS,
                   "--home", str(self.home), "--port", str(self.port),
                   "--password-file", str(self.password_file), "--pagecache", self.pagecache,
                   "--import-dir", str(self.import_dir), "--tx-memory", self.tx_memory,
                   *(["--unprotected", "true"] if not self.protected else []),
                   *(["--http-port", str(http)] if http is not None else [])]
            log.info("starting Neo4j %s on %s (home %s)", NEO4J_VERSION, self.uri, self.home)
            started = time.monotonic()
            with open(self.log_file, "ab") as out:  # detached: it outlives this Python process
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                        cwd=self.home, start_new_session=True, close_fds=True)
            self.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
            try:
                self._wait_ready(proc, time.monotonic() + timeout)
                if http is not None:
                    _wait_browser(http, time.monotonic() + 30)
            except BaseException:
                self._terminate(proc.pid, 30)
                raise
            log.info("Neo4j answers on %s after %.1fs", self.uri, time.monotonic() - started)
        return self.status()

    def stop(self, timeout: float = 60) -> ServerStatus:
        """Stop the server cleanly (SIGTERM; SIGKILL only after ``timeout``); a no-op when stopped."""
        pid, _ = self._running()
        if pid is not None:
            log.info("stopping Neo4j (pid %d)", pid)
            self._terminate(pid, timeout)
        self.pid_file.unlink(missing_ok=True)
        return self.status()

    def _running(self) -> tuple[int | None, list[str]]:
        """(pid, command line) of this server's live launcher process, else (None, [])."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None, []
            cmdline = proc.cmdline()
        except (OSError, ValueError, psutil.Error):
            return None, []
        ours = LAUNCHER_CLASS in cmdline and str(self.home) in cmdline and _option(cmdline, "--port") == self.port
        return (pid, cmdline) if ours else (None, [])

    def _probe(self, timeout: float = 5.0) -> str | None:
        """Neo4j's version if Bolt answers and accepts the password, else None (raises if it refuses it)."""
        import neo4j

        from graph.db.queries import query

        try:
            password = self._read_password()
        except FileNotFoundError:
            return None
        try:
            with neo4j.GraphDatabase.driver(self.uri, auth=(USER, password), connection_timeout=timeout,
                                            max_connection_pool_size=1) as driver:
                records, _, _ = driver.execute_query(query("internal/server_version"), database_="system",
                                                     routing_="r")
                return str(records[0]["version"])
        except neo4j.exceptions.AuthError as exc:
            raise Neo4jServerError(f"Neo4j on {self.uri} refuses the password in {self.password_file}; "
                                   "restart it (medkg db stop; medkg db start) to apply the file") from exc
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                neo4j.exceptions.TransientError, OSError):
            return None

    def _wait_ready(self, proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
        """Wait for the READY line and a successful authenticated query."""
        while True:
            if proc is not None and proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise Neo4jServerError(f"Neo4j exited with code {proc.returncode} while starting; "
                                       f"last lines of {self.log_file}:\n{_tail(self.log_file)}")
            ready = proc is None or READY_MARK in self.log_file.read_text(encoding="utf-8", errors="replace")
            if ready and self._probe() is not None:
                return
            if time.monotonic() > deadline:
                raise Neo4jServerError(f"Neo4j did not answer on {self.uri} in time; "
                                       f"last lines of {self.log_file}:\n{_tail(self.log_file)}")
            time.sleep(0.25)

    def _terminate(self, pid: int, timeout: float) -> None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL (psutil reaps it if it is our child)."""
        try:
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except psutil.TimeoutExpired:
                log.warning("Neo4j (pid %d) did not stop within %.0fs; killing it", pid, timeout)
                proc.kill()
                proc.wait(30)
        except psutil.NoSuchProcess:
            pass
        self.pid_file.unlink(missing_ok=True)


def _source_files() -> list[Path]:
    return sorted([Path("pom.xml"), *(p.relative_to(SOURCES) for p in (SOURCES / "src").rglob("*.java"))])


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for rel in _source_files():
        digest.update(rel.as_posix().encode() + b"\0" + (SOURCES / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def _is_built(launcher_dir: Path, stamp: Path, digest: str) -> bool:
    try:
        built = stamp.read_text(encoding="utf-8").strip() == digest
    except OSError:
        return False
    target = launcher_dir / "target"
    return built and (target / JAR_NAME).is_file() and any((target / "lib").glob("*.jar"))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock held for the block (between processes)."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _java_executable() -> str:
    """The ``java`` to use (``$JAVA_HOME/bin/java`` first), checked to be 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise LauncherBuildError(f"java not found: the embedded Neo4j needs Java {MIN_JAVA} or newer "
                                 "(install a JDK and put it on PATH or set JAVA_HOME)")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=120)
    found = re.search(r'version "(?:1\.)?(\d+)', result.stderr + result.stdout)  # "1.8.0" is Java 8
    major = int(found.group(1)) if found else 0
    if major < MIN_JAVA:
        raise LauncherBuildError(f"{java} is Java {major or 'of unknown version'}; the embedded Neo4j "
                                 f"{NEO4J_VERSION} needs Java {MIN_JAVA} or newer")
    return java


def _maven_executable() -> str:
    """``mvn`` (Maven checks its own minimum version, 3.6.3, through the plugins' prerequisites)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LauncherBuildError(f"mvn not found: building the embedded Neo4j launcher needs Apache Maven "
                                 f"{MIN_MAVEN} or newer and access to Maven Central (or a mirror in ~/.m2)")
    return mvn


def _run_maven(mvn: str, cwd: Path, *, quiet: bool) -> None:
    """Run ``mvn -B [-q] package`` in ``cwd``; on failure raise with the tail of its output."""
    cmd = [mvn, "-B", "-ntp", "-Dstyle.color=never", *(["-q"] if quiet else []), "package"]
    tail: deque[str] = deque(maxlen=30)
    with subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(_ANSI.sub("", line).rstrip())
            if not quiet:
                sys.stderr.write(line)
    if proc.returncode != 0:
        output = "\n".join(tail) or "(no output)"
        raise LauncherBuildError(f"building the Neo4j launcher failed ({' '.join(cmd)} in {cwd}, "
                                 f"exit code {proc.returncode}); last lines:\n{output}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (for test and benchmark servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_port_free(port: int, what: str, setting: str) -> None:
    """Raise PortInUseError if something listens on 127.0.0.1:port (or on all interfaces)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUseError(f"port {port} on 127.0.0.1 is already in use by another program; stop it or "
                                 f"pick another {what} port for the embedded Neo4j ({setting})") from exc


def _option(cmdline: list[str], name: str) -> int | None:
    """The integer value of ``name`` on a launcher command line, or None."""
    try:
        return int(cmdline[cmdline.index(name) + 1])
    except (ValueError, IndexError):
        return None


def _browser_url(http_port: int) -> str:
    return f"http://127.0.0.1:{http_port}/browser/"


def _wait_browser(http_port: int, deadline: float) -> None:
    """Wait until Neo4j's web server serves the Browser's page (it starts before the READY line)."""
    url = _browser_url(http_port)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    while True:
        try:
            with direct.open(url, timeout=5) as response:
                if response.status == 200 and b"<html" in response.read(4096).lower():
                    return
                problem = f"HTTP {response.status} without a page"
        except (urllib.error.URLError, OSError) as exc:
            problem = str(exc)
        if time.monotonic() > deadline:
            raise Neo4jServerError(f"Neo4j started but does not serve Neo4j Browser at {url} ({problem}); "
                                   "its log is in the server's logs/neo4j.log")
        time.sleep(0.25)


def _initial_heap(heap: str) -> str:
    number, unit = _SIZE.match(heap).groups()  # type: ignore[union-attr]  # LocalNeo4j() checked it against _SIZE
    return heap if unit == "k" or (unit == "m" and int(number) < 64) else "64m"


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

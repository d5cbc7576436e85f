"""A fake Hugging Face Hub on 127.0.0.1: the few endpoints ``snapshot_download`` uses.

- ``GET /api/models/{repo}/revision/{rev}``   repository info (the commit sha, files)
- ``GET /api/models/{repo}/tree/{rev}``       the file listing (recursive)
- ``HEAD|GET /{repo}/resolve/{rev}/{path}``   file metadata and content (``Range`` honoured)

Each repository is a local folder. Faults for the tests: `drop_once` names files whose first
GET sends half the bytes and then closes the connection (a cut transfer). Every request is
logged. The server stops on `stop()`, on leaving the ``with`` block, or by itself after
`lifetime_s` seconds; each connection has a socket timeout, so nothing can hang a test.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None


class FakeHub:
    def __init__(
        self,
        repos: dict[str, Path],
        *,
        drop_once: frozenset[str] = frozenset(),
        lifetime_s: float = 120.0,
    ) -> None:
        self.repos = {repo_id: Path(folder) for repo_id, folder in repos.items()}
        self.drop_once = set(drop_once)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.lifetime_s = lifetime_s
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- repository data ---------------------------------------------------------------------
    @staticmethod
    def sha(repo_id: str) -> str:
        return hashlib.sha1(repo_id.encode()).hexdigest()

    def files(self, repo_id: str) -> dict[str, Path]:
        root = self.repos[repo_id]
        return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}

    def gets(self, path_suffix: str = "") -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == "GET" and "/resolve/" in r.path and r.path.endswith(path_suffix)
            ]

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # per-connection socket timeout

            def log_message(self, fmt: str, *args: object) -> None:  # quiet
                return

            def do_HEAD(self) -> None:  # noqa: N802 - http.server naming
                hub._handle(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                hub._handle(self, head=False)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- requests ------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = unquote(urlparse(h.path).path)
        with self._lock:
            self.requests.append(Request(h.command, path, h.headers.get("Range")))
        try:
            if path.startswith("/api/models/"):
                self._api(h, path[len("/api/models/") :])
            elif "/resolve/" in path:
                self._resolve(h, path.lstrip("/"), head)
            else:
                self._error(h, 404, "EntryNotFound")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _repo_of(self, rest: str) -> tuple[str | None, str]:
        for repo_id in self.repos:
            if rest.startswith(repo_id + "/"):
                return repo_id, rest[len(repo_id) + 1 :]
        return None, rest

    def _json(self, h: BaseHTTPRequestHandler, data: object) -> None:
        body = json.dumps(data).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str) -> None:
        body = json.dumps({"error": code}).encode()
        h.send_response(status)
        h.send_header("X-Error-Code", code)
        h.send_header("X-Error-Message", code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _api(self, h: BaseHTTPRequestHandler, rest: str) -> None:
        repo_id, tail = self._repo_of(rest)
        if repo_id is None:
            self._error(h, 404, "RepoNotFound")
            return
        files = self.files(repo_id)
        sha = self.sha(repo_id)
        if tail.startswith("revision/"):
            self._json(
                h,
                {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": sha,
                    "private": False,
                    "siblings": [{"rfilename": name} for name in files],
                },
            )
        elif tail.startswith("tree/"):
            entries: list[dict] = []
            dirs = sorted({name.rsplit("/", 1)[0] for name in files if "/" in name})
            for d in dirs:
                entries.append(
                    {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "path": d}
                )
            for name, p in files.items():
                data = p.read_bytes()
                entries.append(
                    {
                        "type": "file",
                        "oid": hashlib.sha1(data).hexdigest(),
                        "size": len(data),
                        "path": name,
                    }
                )
            self._json(h, entries)
        else:
            self._error(h, 404, "EntryNotFound")

    def _resolve(self, h: BaseHTTPRequestHandler, rest: str, head: bool) -> None:
        repo_id, tail = self._repo_of(rest)
        if repo_id is None:
            self._error(h, 404, "RepoNotFound")
            return
        _, _, tail = tail.partition("resolve/")
        _, _, filename = tail.partition("/")
        files = self.files(repo_id)
        if filename not in files:
            self._error(h, 404, "EntryNotFound")
            return
        data = files[filename].read_bytes()
        etag = hashlib.sha256(data).hexdigest()
        start = 0
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[len("bytes=") :].split("-")[0] or 0)
        body = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("X-Repo-Commit", self.sha(repo_id))
        h.send_header("ETag", f'"{etag}"')
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Accept-Ranges", "bytes")
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.end_headers()
        if head:
            return
        with self._lock:
            drop = filename in self.drop_once and not start
            if drop:
                self.drop_once.discard(filename)
        if drop:
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)  # cut the transfer mid-file
            return
        h.wfile.write(body)

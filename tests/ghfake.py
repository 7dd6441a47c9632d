"""A fake GitHub: a real HTTP server on loopback (stdlib http.server in a thread).

It implements the REST endpoints dsfix uses (repos, issues, issue comments, pulls, git refs/commits,
/user) with GitHub's status codes and error shapes, and serves a local bare git repository over git's
smart HTTP protocol (`git http-backend`) at the repo JSON's `clone_url`, checking the token the same
way GitHub does (HTTP Basic `x-access-token:TOKEN`). Tests inject failures with `fail(...)`.
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Rule:
    method: str
    path: str                 # regex, matched against the path (no query)
    status: int
    body: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    times: int = 1            # how many requests it answers; -1 forever


class FakeGitHub:
    def __init__(self, root: Path, token: str = "ghs_faketoken123456", login: str = "dsfix-bot",
                 user_type: str = "User"):
        self.root = root                        # bare repos live at root/OWNER/REPO.git
        self.token, self.login, self.user_type = token, login, user_type
        self.repos: dict[str, dict] = {}
        self.issues: dict[tuple[str, int], dict] = {}
        self.comments: list[dict] = []
        self.pulls: list[dict] = []
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str | None]] = []    # method, path+query, Authorization header
        self.git_auth: list[str | None] = []                 # Authorization headers git sent
        self.repo_permissions = {"admin": False, "maintain": False, "push": True, "pull": True}
        self.user_readable = True                            # False: /user answers 403 like an Actions token
        self._ids = iter(range(1000, 10**9))
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- setup ----------------------------------------------------------------------------------
    def __enter__(self) -> "FakeGitHub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_repo(self, slug: str, source: Path, default_branch: str = "main") -> Path:
        """A bare repository holding `source`'s commits, served at /git/SLUG.git."""
        bare = self.root / f"{slug}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        _git(None, "clone", "--quiet", "--bare", str(source), str(bare))
        _git(bare, "symbolic-ref", "HEAD", f"refs/heads/{default_branch}")
        if default_branch not in _git(bare, "branch", "--list", default_branch):
            cur = _git(source, "rev-parse", "HEAD").strip()
            _git(bare, "update-ref", f"refs/heads/{default_branch}", cur)
        _git(bare, "config", "http.receivepack", "true")
        self.repos[slug] = {"bare": bare, "default_branch": default_branch}
        return bare

    def add_issue(self, slug: str, number: int, title: str, body: str, labels=("dsfix",), **extra) -> None:
        self.issues[(slug, number)] = {
            "number": number, "title": title, "body": body, "state": "open",
            "labels": [{"name": n} for n in labels], "user": {"login": "reporter", "type": "User"},
            "html_url": f"https://github.com/{slug}/issues/{number}", **extra}

    def add_comment(self, slug: str, number: int, body: str, login: str = "someone", user_type: str = "User") -> dict:
        c = {"id": next(self._ids), "issue": (slug, number), "body": body,
             "user": {"login": login, "type": user_type}, "author_association": "NONE"}
        c["html_url"] = f"https://github.com/{slug}/issues/{number}#issuecomment-{c['id']}"
        self.comments.append(c)
        return c

    def fail(self, method: str, path: str, status: int, message: str = "", times: int = 1,
             headers: dict | None = None, **body) -> None:
        self.rules.append(Rule(method, path, status, {"message": message, **body} if message or body else {},
                               headers or {}, times))

    # -- views for assertions --------------------------------------------------------------------
    def branch_sha(self, slug: str, branch: str) -> str | None:
        r = subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                           cwd=self.repos[slug]["bare"], capture_output=True, text=True)
        return r.stdout.strip() or None

    def issue_comments(self, slug: str, number: int) -> list[dict]:
        return [c for c in self.comments if c["issue"] == (slug, number)]

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.log if m != "GET"]

    # -- request handling ------------------------------------------------------------------------
    def handle(self, h: "BaseHTTPRequestHandler", method: str) -> None:
        parts = urllib.parse.urlsplit(h.path)
        path, query = parts.path, dict(urllib.parse.parse_qsl(parts.query))
        auth = h.headers.get("Authorization")
        if path.startswith("/git/"):
            return self._git_http(h, method, path[len("/git"):], parts.query, auth)
        length = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(length) or b"null") if length else None
        with self._lock:
            self.log.append((method, h.path, auth))
            for rule in self.rules:
                if rule.times != 0 and rule.method == method and re.fullmatch(rule.path, path):
                    rule.times -= 1
                    return _send(h, rule.status, rule.body, rule.headers)
            if auth is not None and auth != f"Bearer {self.token}":
                return _send(h, 401, {"message": "Bad credentials",
                                      "documentation_url": "https://docs.github.com/rest"})
            if auth is None and method != "GET":
                return _send(h, 401, {"message": "Requires authentication"})
            try:
                status, data, headers = self._route(method, path, query, body)
            except KeyError:
                status, data, headers = 404, {"message": "Not Found"}, {}
            return _send(h, status, data, headers)

    def _route(self, method, path, query, body):
        if path == "/user" and method == "GET":
            if not self.user_readable:
                return 403, {"message": "Resource not accessible by integration"}, {}
            return 200, {"login": self.login, "type": self.user_type}, {}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m or m.group(1) not in self.repos:
            raise KeyError(path)
        slug, rest = m.group(1), m.group(2) or ""
        repo = self.repos[slug]
        if rest == "" and method == "GET":
            return 200, {"full_name": slug, "default_branch": repo["default_branch"], "archived": False,
                         "clone_url": f"{self.url}/git/{slug}.git", "html_url": f"https://github.com/{slug}",
                         "permissions": dict(self.repo_permissions)}, {}
        if (mm := re.fullmatch(r"/issues/(\d+)", rest)) and method == "GET":
            return 200, self.issues[(slug, int(mm.group(1)))], {}
        if mm := re.fullmatch(r"/issues/(\d+)/comments", rest):
            n = int(mm.group(1))
            self.issues[(slug, n)]  # 404 for an unknown issue
            if method == "POST":
                c = self.add_comment(slug, n, body["body"], self.login, self.user_type)
                return 201, _public(c), {}
            items = [_public(c) for c in self.issue_comments(slug, n)]
            return self._page(f"/repos/{slug}{rest}", items, query)
        if (mm := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
            c = next(c for c in self.comments if c["id"] == int(mm.group(1)))
            c["body"] = body["body"]
            return 200, _public(c), {}
        if rest == "/pulls" and method == "GET":
            found = [p for p in self.pulls if p["repo"] == slug and
                     query.get("state", "open") in ("all", p["state"]) and
                     ("head" not in query or query["head"] == f"{slug.split('/')[0]}:{p['head']['ref']}")]
            return 200, [_public(p) for p in found], {}
        if rest == "/pulls" and method == "POST":
            return self._create_pull(slug, body)
        if (mm := re.fullmatch(r"/pulls/(\d+)", rest)) and method == "PATCH":
            p = next(p for p in self.pulls if p["repo"] == slug and p["number"] == int(mm.group(1)))
            p.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
            return 200, _public(p), {}
        if (mm := re.fullmatch(r"/git/ref/heads/(.+)", rest)) and method == "GET":
            sha = self.branch_sha(slug, urllib.parse.unquote(mm.group(1)))
            if not sha:
                raise KeyError(rest)
            return 200, {"ref": f"refs/heads/{mm.group(1)}", "object": {"sha": sha, "type": "commit"}}, {}
        if mm := re.fullmatch(r"/git/refs/heads/(.+)", rest):
            name = urllib.parse.unquote(mm.group(1))
            if not self.branch_sha(slug, name):
                return 422, {"message": "Reference does not exist"}, {}
            if method == "DELETE":
                _git(repo["bare"], "update-ref", "-d", f"refs/heads/{name}")
                return 204, None, {}
            if method == "PATCH":
                _git(repo["bare"], "update-ref", f"refs/heads/{name}", body["sha"])
                return 200, {"ref": f"refs/heads/{name}", "object": {"sha": body["sha"]}}, {}
        if (mm := re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest)) and method == "GET":
            r = subprocess.run(["git", "cat-file", "commit", mm.group(1)], cwd=repo["bare"], capture_output=True,
                               text=True)
            if r.returncode:
                raise KeyError(rest)
            return 200, {"sha": mm.group(1), "message": r.stdout.split("\n\n", 1)[1]}, {}
        raise KeyError(rest)

    def _create_pull(self, slug, body):
        head, base = body.get("head", ""), body.get("base", "")
        if not self.branch_sha(slug, head):
            return 422, {"message": "Validation Failed",
                         "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}]}, {}
        if any(p["repo"] == slug and p["state"] == "open" and p["head"]["ref"] == head for p in self.pulls):
            return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                         "message": f"A pull request already exists for {slug.split('/')[0]}:{head}."}]}, {}
        if self.branch_sha(slug, head) == self.branch_sha(slug, base):
            return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                         "message": f"No commits between {base} and {head}"}]}, {}
        n = 1 + max([p["number"] for p in self.pulls] + [k[1] for k in self.issues], default=0)
        p = {"repo": slug, "number": n, "state": "open", "title": body["title"], "body": body.get("body", ""),
             "head": {"ref": head, "sha": self.branch_sha(slug, head)}, "base": {"ref": base},
             "html_url": f"https://github.com/{slug}/pull/{n}"}
        self.pulls.append(p)
        return 201, _public(p), {}

    def _page(self, path, items, query):
        per, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        chunk = items[(page - 1) * per: page * per]
        headers = {}
        if page * per < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per}&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def _git_http(self, h, method, path_info, query, auth):
        self.git_auth.append(auth)
        expected = "Basic " + base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        if auth != expected:
            msg = b"Authentication required\n"
            h.send_response(401)
            h.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
            h.send_header("Content-Length", str(len(msg)))
            h.end_headers()
            h.wfile.write(msg)
            return
        data = _read_body(h)
        env = {"GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path_info,
               "QUERY_STRING": query, "REQUEST_METHOD": method, "REMOTE_USER": self.login,
               "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": h.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(data)), "PATH": "/usr/bin:/bin:/usr/local/bin"}
        if h.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = h.headers["Content-Encoding"]
        if h.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = h.headers["Git-Protocol"]
        r = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True)
        head, _, payload = r.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v.strip()))
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("repo", "issue")}


def _read_body(h) -> bytes:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int(h.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                h.rfile.readline()
                return out
            out += h.rfile.read(size)
            h.rfile.readline()
    n = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(n) if n else b""


def _send(h, status: int, data, headers: dict | None = None) -> None:
    raw = b"" if data is None or status == 204 else json.dumps(data).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json; charset=utf-8")
    for k, v in (headers or {}).items():
        h.send_header(k, str(v))
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw)


def _handler(fake: FakeGitHub):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def do_GET(self):
            fake.handle(self, "GET")

        def do_POST(self):
            fake.handle(self, "POST")

        def do_PATCH(self):
            fake.handle(self, "PATCH")

        def do_DELETE(self):
            fake.handle(self, "DELETE")
    return H


def _git(cwd, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def rate_limited(reset_in: float = 2.0) -> dict:
    """Headers GitHub sends with a primary rate-limit 403."""
    return {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time() + reset_in)),
            "X-RateLimit-Limit": "5000"}

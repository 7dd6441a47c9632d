"""A small GitHub REST client (stdlib urllib): issue URLs, the token, and errors that say what to do.

Every failure is a `GitHubError` whose `str()` is one line naming the cause and the fix. Rate limits
(403/429 with `X-RateLimit-Remaining: 0` or `Retry-After`) are waited out a bounded number of times;
a wait longer than `max_wait` seconds is an error at once, saying when the limit resets.
"""
from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Iterator

PUBLIC_API = "https://api.github.com"
TOKEN_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
ACTIONS_PR_SETTING = ("Repository (or organization) Settings > Actions > General > Workflow permissions: "
                      "tick 'Allow GitHub Actions to create and approve pull requests'")


class GitHubError(Exception):
    """A GitHub call failed; the message is one line that says what to do."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(" ".join(message.split()))
        self.status = status


class AuthError(GitHubError):
    """401: the token is missing, wrong or expired."""


class ForbiddenError(GitHubError):
    """403: the token lacks a scope or permission, or a repository setting forbids the action."""


class RateLimitError(GitHubError):
    """The rate limit did not reset within the bounded waits."""


class NotFoundError(GitHubError):
    """404: no such repository/issue, or the token cannot see it (GitHub answers 404 for private repos)."""


class ValidationError(GitHubError):
    """422: GitHub refused the request; the message carries GitHub's own `errors` messages."""


@dataclass(frozen=True)
class IssueRef:
    host: str
    owner: str
    repo: str
    number: int

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.repo}"

    def __str__(self) -> str:
        return f"{self.slug}#{self.number}"


_ISSUE_PATH = re.compile(r"^/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})/(issues|pull)/(\d+)/?$")


def parse_issue_url(url: str) -> IssueRef:
    """`https://HOST/OWNER/REPO/issues/N` (github.com or a GitHub Enterprise host) -> IssueRef."""
    p = urllib.parse.urlsplit(url.strip())
    m = _ISSUE_PATH.match(p.path)
    if p.scheme not in ("http", "https") or not p.hostname or not m:
        raise GitHubError(f"not a GitHub issue URL: {url!r}; expected https://github.com/OWNER/REPO/issues/N")
    if m.group(3) == "pull":
        raise GitHubError(f"{url} is a pull request; give the URL of an issue (https://HOST/OWNER/REPO/issues/N)")
    repo = m.group(2)[:-4] if m.group(2).endswith(".git") else m.group(2)
    host = p.hostname + (f":{p.port}" if p.port else "")
    return IssueRef(host, m.group(1), repo, int(m.group(4)))


def api_base_for(ref: IssueRef, override: str | None = None, environ: dict | None = None) -> str:
    """--github-api, else GITHUB_API_URL, else api.github.com for a github.com issue. The token goes
    only to the API the user configured: an issue URL on another host is refused, never turned into
    an API address of its own (anyone can write such a URL into an issue, a workflow, a script)."""
    env = os.environ if environ is None else environ
    base = override or env.get("GITHUB_API_URL")
    if base:
        return base.rstrip("/")
    if ref.host in ("github.com", "www.github.com"):
        return PUBLIC_API
    raise GitHubError(f"{ref} is on {ref.host}, but the GitHub API dsfix is configured for is {PUBLIC_API}: "
                      f"dsfix sends your token only to the API you name; for GitHub Enterprise pass "
                      f"--github-api https://{ref.host}/api/v3 (or set GITHUB_API_URL)")


def origin(url: str) -> str:
    """scheme://host[:port], lower case: what the token is bound to."""
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


def git_origins(api_base: str) -> set[str]:
    """Where git may take the token: the configured API's own host (GitHub Enterprise serves git
    and the API on one host), and github.com for api.github.com."""
    own = origin(api_base)
    return {own, "https://github.com"} if own == origin(PUBLIC_API) else {own}


def clone_url_for(api_base: str, slug: str) -> str:
    """The repository's git URL on the configured host (when the API's answer names none)."""
    web = "https://github.com" if origin(api_base) == origin(PUBLIC_API) else origin(api_base)
    return f"{web}/{slug}.git"


def token_from_env(environ: dict | None = None) -> str | None:
    env = os.environ if environ is None else environ
    for name in TOKEN_VARS:
        if env.get(name, "").strip():
            return env[name].strip()
    return None


@dataclass
class Response:
    status: int
    headers: dict
    data: Any   # the decoded JSON body: a dict, a list, ... or None when empty


class GitHubClient:
    def __init__(self, base: str, token: str | None, *, retries: int = 3, max_wait: float = 120.0,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self.base = base.rstrip("/")
        self.token = token
        self.retries, self.max_wait, self.timeout = retries, max_wait, timeout
        self._sleep, self._clock = sleep, clock
        self.calls: list[tuple[str, str]] = []   # (method, path), for tests and the report

    # -- transport ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict | None = None, *, what: str = "") -> Response:
        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        if origin(url) != origin(self.base):   # a Link header (pagination) naming another host
            raise GitHubError(f"GitHub's answer points to {origin(url)}, not to the configured API {self.base}: "
                              f"dsfix does not follow it (the token goes only to the configured host)")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": "dsfix"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(self.retries + 1):
            self.calls.append((method, urllib.parse.urlsplit(url).path))
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with _opener.open(req, timeout=self.timeout) as r:
                    raw = r.read()
                    return Response(r.status, {k.lower(): v for k, v in r.headers.items()},
                                    json.loads(raw) if raw.strip() else None)
            except urllib.error.HTTPError as e:
                hdrs = {k.lower(): v for k, v in (e.headers or {}).items()}
                raw = e.read() or b""
                try:
                    payload = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    payload = {"message": raw.decode(errors="replace")[:200]}
                wait = self._rate_limit_wait(e.code, hdrs, payload)
                if wait is None:
                    raise self._error(e.code, hdrs, payload, method, url, what) from None
                if wait > self.max_wait:
                    raise RateLimitError(f"GitHub rate limit reached ({what or method + ' ' + url}); it resets in "
                                         f"{int(wait)}s, longer than dsfix waits ({int(self.max_wait)}s): rerun "
                                         f"later, or use a token with a higher limit", e.code) from None
                if attempt == self.retries:
                    break
                self._sleep(max(wait, 1.0))
            except urllib.error.URLError as e:
                raise GitHubError(f"cannot reach the GitHub API at {self.base}: {e.reason}; check "
                                  f"--github-api / GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3)") from None
        raise RateLimitError(f"GitHub rate limit still exhausted after {self.retries} waits "
                             f"({what or method + ' ' + url}); rerun later", 429)

    def _rate_limit_wait(self, code: int, h: dict, payload: dict) -> float | None:
        """Seconds to wait when this answer is a rate limit, else None."""
        if code not in (403, 429):
            return None
        if "retry-after" in h:
            try:
                return float(h["retry-after"])
            except ValueError:
                return 60.0
        if h.get("x-ratelimit-remaining") == "0":
            try:
                return max(float(h.get("x-ratelimit-reset", "0")) - self._clock(), 0.0) + 1.0
            except ValueError:
                return 60.0
        if code == 429 or "secondary rate limit" in str(payload.get("message", "")).lower():
            return 60.0
        return None

    def _error(self, code: int, h: dict, payload: dict, method: str, url: str, what: str) -> GitHubError:
        msg = str(payload.get("message", "") or "").strip().rstrip(".")
        doing = what or f"{method} {urllib.parse.urlsplit(url).path}"
        if code == 401:
            return AuthError(f"GitHub rejected the token (401 {msg or 'Bad credentials'}) while trying to {doing}: "
                             f"set GITHUB_TOKEN or GH_TOKEN to a valid, unexpired token for this host "
                             f"(GitHub Enterprise: also set --github-api https://HOST/api/v3)", code)
        if code == 403:
            if "not permitted to create or approve pull requests" in msg:
                return ForbiddenError(f"GitHub refused to {doing}: {msg}. Fix: {ACTIONS_PR_SETTING}", code)
            need = h.get("x-accepted-github-permissions") or h.get("x-accepted-oauth-scopes") or ""
            has = h.get("x-oauth-scopes")
            hint = f"it needs {need}" if need else "it needs contents, issues and pull-requests write access"
            if has is not None:
                hint += f" (the token has scopes: {has or 'none'})"
            return ForbiddenError(f"GitHub refused to {doing} (403 {msg or 'Forbidden'}): the token is not allowed; "
                                  f"{hint}. In a workflow grant `permissions: contents: write, pull-requests: write, "
                                  f"issues: write`; a classic token needs the `repo` scope, a fine-grained one "
                                  f"Contents, Issues and Pull requests read/write", code)
        if code == 404:
            return NotFoundError(f"GitHub found nothing while trying to {doing} (404): check the URL; a private "
                                 f"repository also answers 404 when the token cannot see it", code)
        if code == 422:
            details = "; ".join(_error_messages(payload)) or msg or "Validation Failed"
            return ValidationError(f"GitHub refused to {doing} (422): {details}", code)
        return GitHubError(f"GitHub answered {code} {msg} while trying to {doing}", code)

    # -- convenience -------------------------------------------------------------------------------
    def get(self, path: str, what: str = "") -> Any:
        return self.request("GET", path, what=what).data

    def post(self, path: str, body: dict, what: str = "") -> Any:
        return self.request("POST", path, body, what=what).data

    def patch(self, path: str, body: dict, what: str = "") -> Any:
        return self.request("PATCH", path, body, what=what).data

    def delete(self, path: str, what: str = "") -> None:
        self.request("DELETE", path, what=what)

    def paginate(self, path: str, what: str = "", limit: int = 1000) -> Iterator[dict]:
        """Follow `Link: rel=next`, at most `limit` items."""
        sep = "&" if "?" in path else "?"
        url: str | None = f"{path}{sep}per_page=100"
        n = 0
        while url:
            r = self.request("GET", url, what=what)
            for item in r.data or []:
                yield item
                n += 1
                if n >= limit:
                    return
            url = _next_link(r.headers.get("link", ""))


def _error_messages(payload: dict) -> list[str]:
    out = []
    for e in payload.get("errors") or []:
        if isinstance(e, str):
            out.append(e)
        elif isinstance(e, dict):
            out.append(e.get("message") or " ".join(str(e.get(k)) for k in ("resource", "field", "code") if e.get(k)))
    return [o for o in out if o]


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if m:
            return m.group(1)
    return None


class _NoRedirectToOtherHost(urllib.request.HTTPRedirectHandler):
    """Never forward the Authorization header on a redirect to another origin: another host or
    port, or the same host without TLS. A header dropped once stays dropped along the chain."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            new.remove_header("Authorization")
        return new


# Proxies from the environment (HTTPS_PROXY, NO_PROXY) are honoured, as git does.
_opener = urllib.request.build_opener(_NoRedirectToOtherHost)

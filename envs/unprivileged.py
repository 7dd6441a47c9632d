"""The unprivileged user that the repository's tests, the reproduction and the model's commands run
as inside a fix or bench container (issue #12, item 4).

Set-up (env.setup, services, the baseline commit) runs as root; then the working copy is handed to
uid 10001 and every later command runs as that user. Code in the container then cannot rewrite the
interpreter, site-packages, /usr/bin/git or /etc, and a container escape starts unprivileged.

What it costs (docs/environments.md): the chown, metadata only (0.1-0.5 s); files the image had in
the working copy that the repository's snapshot does not hold (build artefacts) stay root's, readable
and deletable but not writable; caches that image builds left in /root are not seen (HOME is the
user's own); a test that needs root (binding a port below 1024, chown to others) fails in the
baseline too, so it is reported as failing before and never judges a patch.

``dsfix eval`` keeps root: the harness's PASS/FAIL lists were recorded as root, and tests skipped
for root (``skipif(os.getuid() == 0)``) would run and change its grades.
"""
from __future__ import annotations

import shlex

UID = 10001
NAME = "dsfix"
HOME = f"/home/{NAME}"
OWNED_LIST = "/tmp/dsfix-owned"   # NUL-separated paths (relative to the working copy) to hand over

# POSIX sh and busybox-friendly: no useradd (images without the shadow tools), no getent.
_SCRIPT = """set -e
for t in chown find xargs; do command -v $t >/dev/null || {{ echo "no $t in the image"; exit 3; }}; done
[ -w /etc/passwd ] || {{ echo "/etc/passwd is not writable"; exit 3; }}
grep -q '^[^:]*:[^:]*:{uid}:' /etc/passwd || echo '{name}:x:{uid}:{uid}:dsfix:{home}:/bin/sh' >> /etc/passwd
grep -q '^[^:]*:[^:]*:{uid}:' /etc/group || echo '{name}:x:{uid}:' >> /etc/group
mkdir -p {home} && chown {uid}:{uid} {home}
cd {w}
# The snapshot's files: written by the copy-in, so already in the container's own layer (a chown
# there is metadata only). Other files of the image's working copy are left alone: a chown would
# copy each one up out of the image's layers.
xargs -0 -r chown -h {uid}:{uid} -- < {lst}
rm -f {lst}
# Every directory (a directory's copy-up is metadata only): the user creates and deletes files
# anywhere in the working copy, and git finds the repository owned by the user running it.
find . -type d ! -uid {uid} -exec chown {uid}:{uid} {{}} +
# git's own files, bar the object store (read-only by design; its directories are handled above).
[ ! -d .git ] || find .git -path .git/objects -prune -o ! -type d ! -uid {uid} -exec chown -h {uid}:{uid} {{}} +
"""


def handover_script(workdir: str) -> str:
    """Create the user where absent and give it the working copy. Exit 3: the image does not
    allow it (the caller stays root and says why)."""
    return _SCRIPT.format(uid=UID, name=NAME, home=HOME, w=shlex.quote(workdir), lst=OWNED_LIST)


def owned_list(names: list[str]) -> str:
    """The snapshot's paths for the script's ``xargs -0``: the working copy's top too."""
    return "\0".join([".", *names]) + "\0"


def exec_environment(base: dict[str, str]) -> dict[str, str]:
    """The variables a command gets as the user: its own HOME (root's is unreadable to it)."""
    return {"HOME": HOME, "USER": NAME, "LOGNAME": NAME, **base}

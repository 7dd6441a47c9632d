"""RepoSpec ``network: drop`` and ``services``: the spec fields, the generated scripts, and (docker)
a connect to 10.255.255.1 timing out while nothing outside answers, and a local service started
for the tests of an evaluated instance."""
from __future__ import annotations

import json
import socket
import uuid

import pytest
from evalfixture import FIXTURE_SPEC, TEST_PATCH, make_fixture
from dsfix.envs.evaluate.run import eval_script
from dsfix.envs.layers.dockerfiles import env_dockerfile
from dsfix.envs.layers.plan import Plan
from dsfix.envs.specs import RepoSpec, swebench_spec
from dsfix.envs.specs import services as svc
from pydantic import ValidationError

# a stdlib "service" for the tests: no package, so its venv is built with no network
TINY = svc.Service(name="tinyhttp", start="-m http.server --bind 127.0.0.1 8765 --directory {home}",
                   probe="http://127.0.0.1:8765/", hosts=("tiny.invalid",),
                   env={"DSFIX_TINY_URL": "http://tiny.invalid:8765/"})


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(svc.SERVICES, "tinyhttp", TINY)
    return TINY


# ---------------------------------------------------------------- units

def test_spec_fields_default_off_and_are_validated():
    s = RepoSpec()
    assert s.network == "none" and s.services == []
    assert RepoSpec(services="httpbin", network="drop").services == ["httpbin"]
    with pytest.raises(ValidationError, match="unknown service 'nope'"):
        RepoSpec(services=["nope"])
    with pytest.raises(ValidationError):
        RepoSpec(network="host")            # never a way out


def test_requests_specs_opt_in_per_version():
    for v in ("2.3", "2.4"):                 # test_requests.py reads HTTPBIN_URL, hard-codes httpbin.org
        s = swebench_spec("psf/requests", v)
        assert (s.network, s.services) == ("drop", ["httpbin"])
    s = swebench_spec("psf/requests", "2.10")   # pytest-httpbin: a server of its own
    assert (s.network, s.services) == ("drop", [])
    s = swebench_spec("pallets/flask", "2.3")
    assert (s.network, s.services) == ("none", [])


def test_eval_script_starts_services_before_the_tests(tiny):
    inst = {"repo": "local/x", "base_commit": "abc", "test_patch": TEST_PATCH}
    plain = eval_script(inst, RepoSpec(**FIXTURE_SPEC))
    assert "services" not in plain and "/etc/hosts" not in plain
    text = eval_script(inst, RepoSpec(**FIXTURE_SPEC, services=["tinyhttp"]))
    start = text.index("echo '127.0.0.1 tiny.invalid' >> /etc/hosts")
    assert start < text.index('export DSFIX_TINY_URL="http://tiny.invalid:8765/"') < text.index(">>>>> Start Test Output")
    # isolated from the tested env, in the background, waited for; a failure exits before the tests
    assert "env -i PATH=/usr/bin:/bin HOME=/root setsid /opt/services/tinyhttp/bin/python -I -m http.server" in text
    assert f"echo '{svc.FAILED}: tinyhttp'; tail -n 40 /tmp/dsfix-services/tinyhttp.log; exit 1" in text


def test_build_script_uses_the_base_interpreter_and_pins():
    text = svc.build_script(["httpbin"], "/opt/python/3.10/bin/python3.10")
    assert "/opt/python/3.10/bin/python3.10 -m venv /opt/services/httpbin" in text
    assert "/opt/venv" not in text and "unset PIP_CONSTRAINT" in text
    assert "httpbin==0.10.2" in text and "trustme==" in text
    assert "(cd /opt/services/httpbin && bin/python -I certs.py)" in text


def test_services_are_part_of_the_env_hash_and_need_network_to_build(tiny):
    def plan(spec):
        p = Plan("local/x", spec, "e" * 40, "b" * 40)
        p.base_id, p.python, p.base_tag = "sha256:1", "3.11", "dsfix/base:bookworm"
        return p
    none, drop = plan(RepoSpec(**FIXTURE_SPEC)), plan(RepoSpec(**FIXTURE_SPEC, network="drop"))
    assert none.env_key == drop.env_key                      # network is a run-time matter
    http = plan(RepoSpec(**FIXTURE_SPEC, services=["httpbin"]))
    assert http.env_key != none.env_key and http.network == "host" and none.network == "none"
    tinyp = plan(RepoSpec(**FIXTURE_SPEC, services=["tinyhttp"]))
    assert tinyp.network == "none"                            # no package: built offline
    assert "RUN bash /dsfix/services.sh" in env_dockerfile(tinyp)
    assert "services" not in env_dockerfile(none)


# ---------------------------------------------------------------- docker

NET_PROBE = r'''
import errno, json, socket, sys, time
out = {}
def connect(host, port, timeout=1.5):
    s = socket.socket(); s.settimeout(timeout); t = time.time()
    try:
        s.connect((host, port)); return "connected"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
out["tarpit"] = connect("10.255.255.1", 80)
out["host"] = {ip: connect(ip, int(sys.argv[1])) for ip in sys.argv[2:]}
out["loopback"] = connect("127.0.0.1", int(sys.argv[1]))
t = time.time()
try:
    socket.getaddrinfo("example.com", 80); out["dns"] = "resolved"
except socket.gaierror:
    out["dns"] = "failed"
out["dns_s"] = round(time.time() - t, 2)
import os; out["links"] = sorted(os.listdir("/sys/class/net"))
out["net_admin"] = bool(int([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1], 16) & (1 << 12))
print(json.dumps(out))
'''


def _host_ipv4() -> list[str]:
    """This machine's own IPv4 addresses (loopback excepted), from the kernel's local table."""
    ips, prev = set(), ""
    try:
        with open("/proc/net/fib_trie") as f:
            lines = f.readlines()
    except OSError:
        lines = []
    for line in lines:
        if "/32 host LOCAL" in line and prev:
            ips.add(prev)
        parts = line.split()
        prev = parts[1] if len(parts) == 2 and parts[0] in ("|--", "+--") else ""
    return sorted(ip for ip in ips if not ip.startswith("127."))


@pytest.mark.docker
def test_drop_network_times_out_and_reaches_nothing(docker_client):
    from dsfix.envs.network import drop_network
    from dsfix.envs.images import BASE_IMAGE
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))            # the host listens on all its addresses
    listener.listen(8)
    port = listener.getsockname()[1]
    hosts = _host_ipv4()
    results = {}
    try:
        for mode in ("none", "drop"):
            c = docker_client.containers.run(BASE_IMAGE, ["sleep", "300"], detach=True, init=True, network_mode="none",
                                             labels={"dsfix": "1", "dsfix.test": "dropnet"})
            try:
                if mode == "drop":
                    assert "dsfix0" in drop_network(docker_client, c, BASE_IMAGE)
                code, out = c.exec_run(["python3", "-c", NET_PROBE, str(port), *hosts])
                assert code == 0, out
                results[mode] = json.loads(out.decode().strip().splitlines()[-1])
            finally:
                c.remove(force=True)
    finally:
        listener.close()
    none, drop = results["none"], results["drop"]
    assert none["tarpit"] == "ENETUNREACH" and none["links"] == ["lo"]
    assert drop["tarpit"] == "timeout"                        # as on a real network
    assert drop["links"] == ["dsfix0", "lo"] and not drop["net_admin"]   # the tests cannot change it
    assert drop["dns"] == "failed" and drop["dns_s"] < 1      # nameservers unreachable: fails at once
    assert drop["loopback"] == "ECONNREFUSED"                 # its own loopback, not the host's
    assert hosts, "no host address found to check"
    for ip, how in drop["host"].items():                      # the host listens there: nothing answers
        assert how in ("timeout", "ENETUNREACH", "EHOSTUNREACH"), (ip, how)


@pytest.fixture(scope="module")
def svc_fixture(tmp_path_factory, docker_client):
    from dsfix.envs.layers import prune
    fx = make_fixture(tmp_path_factory.mktemp("svcfx"), repo=f"local/svc-{uuid.uuid4().hex[:8]}")
    yield fx
    prune(docker_client, "env", repo=fx["repo"])


NET_TEST = '''import os, socket, urllib.request


def test_service_answers_by_name():
    assert socket.gethostbyname("tiny.invalid") == "127.0.0.1"
    assert urllib.request.urlopen(os.environ["DSFIX_TINY_URL"], timeout=5).status == 200


def test_connect_times_out():
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("10.255.255.1", 80))
    except socket.timeout:
        return
    raise AssertionError("connected")
'''


@pytest.mark.docker
def test_eval_starts_services_and_drops_packets(svc_fixture, docker_client, tmp_path, tiny):
    from dsfix.envs.evaluate.run import evaluate_instance
    from dsfix.envs.sources import Sources
    body = "".join("+" + line + "\n" for line in NET_TEST.splitlines())
    new = (f"diff --git a/tests/test_net.py b/tests/test_net.py\nnew file mode 100644\n--- /dev/null\n"
           f"+++ b/tests/test_net.py\n@@ -0,0 +1,{len(NET_TEST.splitlines())} @@\n{body}")
    row = {**svc_fixture["row"], "test_patch": TEST_PATCH + new, "FAIL_TO_PASS": ["tests/test_calc.py::test_add"],
           "PASS_TO_PASS": ["tests/test_calc.py::test_mul", "tests/test_net.py::test_service_answers_by_name",
                            "tests/test_net.py::test_connect_times_out"],
           "spec": {**FIXTURE_SPEC, "network": "drop", "services": ["tinyhttp"]}}
    src = Sources(svc_fixture["mirrors"], online=False)
    r = evaluate_instance(row, row["patch"], client=docker_client, sources=src, log_dir=tmp_path / "drop", timeout=120)
    assert r["status"] == "resolved", (r.get("error"), r.get("tests_status"))
    report = json.loads((tmp_path / "drop/report.json").read_text())[row["instance_id"]]
    assert report["services"] == ["tinyhttp"] and report["network"] == "drop"   # the divergence on record
    assert ">>>>> Service Ready: tinyhttp" in (tmp_path / "drop/test_output.txt").read_text()

    # the fix loop's containers: the same behaviour when the spec asks for it
    from dsfix.envs.docker_env import DockerEnvironment
    from dsfix.envs.workspace import Workspace
    with DockerEnvironment(Workspace(svc_fixture["work"]), r["image"], pull=False, client=docker_client,
                           drop=True, services=["tinyhttp"]) as env:
        probe = ("python3 -c 'import os, socket, urllib.request; s = socket.socket(); s.settimeout(0.5)\n"
                 "try:\n    s.connect((\"10.255.255.1\", 80))\nexcept socket.timeout:\n    print(\"timeout\")\n"
                 "print(urllib.request.urlopen(os.environ[\"DSFIX_TINY_URL\"]).status)'")
        out = env.execute(probe)
        assert out.exit_code == 0 and out.output.split() == ["timeout", "200"], out.output

    # the same image with network none: the connect fails at once, the P2P test fails
    row_none = {**row, "spec": {**row["spec"], "network": "none"}}
    r = evaluate_instance(row_none, row["patch"], client=docker_client, sources=src, timeout=120)
    assert r["built"] == [] and r["status"] == "unresolved"
    assert r["tests_status"]["PASS_TO_PASS"]["failure"] == ["tests/test_net.py::test_connect_times_out"]

    # a service that does not come up is an infrastructure error, never "unresolved"
    broken = svc.Service(**{**TINY.__dict__, "start": "-c 'raise SystemExit(3)'"})
    svc.SERVICES["tinyhttp"] = broken       # a new definition, a new env layer (no package: built offline)
    try:
        r = evaluate_instance(row, row["patch"], client=docker_client, sources=src, timeout=120)
    finally:
        svc.SERVICES["tinyhttp"] = TINY
    assert r["status"] == "error" and r["error_kind"] == "service", r.get("error")

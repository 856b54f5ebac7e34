"""The files under ``deploy/`` hold together: nginx accepts its configuration, the
manifests' selectors, ports and settings match, every unit runs a module that exists."""

from __future__ import annotations

import configparser
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kefu import nginx

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_nginx_accepts_the_server_configuration(tmp_path):
    try:
        binary = nginx.find_nginx()
    except nginx.NginxMissing as exc:
        pytest.skip(str(exc))
    text = (DEPLOY / "nginx" / "kefu.conf").read_text()
    text = text.replace("/var/log/nginx", str(tmp_path)).replace(
        "listen 80;", "listen 127.0.0.1:1;"
    )
    (tmp_path / "kefu.conf").write_text(text)
    temps = "".join(f"{k}_temp_path {tmp_path / k}; " for k in ("client_body", "proxy"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ {temps}include {tmp_path / 'kefu.conf'}; }}\n"
    )
    result = subprocess.run(
        [
            binary,
            "-t",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert nginx.STICKY in text  # the site door is sticky by the session cookie


def test_the_generated_configuration_is_accepted_too(tmp_path):
    try:
        binary = nginx.find_nginx()
    except nginx.NginxMissing as exc:
        pytest.skip(str(exc))
    doors = [
        nginx.Door("site", "127.0.0.1:1", ("127.0.0.1:2", "127.0.0.1:3"), "sticky", True),
        nginx.Door("rasa", "127.0.0.1:4", ("127.0.0.1:5",)),
    ]
    conf = nginx.write_config(tmp_path, doors)
    assert subprocess.run(nginx.check_command(conf, binary), timeout=30).returncode == 0
    with pytest.raises(ValueError, match="routing"):
        nginx.Door("x", "127.0.0.1:1", ("127.0.0.1:2",), "random")
    with pytest.raises(ValueError, match="no backend"):
        nginx.Door("x", "127.0.0.1:1", ())


def _manifests() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_kubernetes_services_select_their_deployments_and_settings_exist():
    docs = _manifests()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs if "metadata" in d}
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert {d["metadata"]["name"] for d in deployments} == {
        "kefu-rasa",
        "kefu-actions",
        "kefu-site",
    }
    for dep in deployments:
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"] == labels
        service = services[dep["metadata"]["name"]]
        assert service["spec"]["selector"] == labels
        container = dep["spec"]["template"]["spec"]["containers"][0]
        port = container["ports"][0]["containerPort"]
        assert str(port) in container["command"]
        module = container["command"][container["command"].index("-m") + 1]
        assert importlib.util.find_spec(module) is not None, module
        for source in container["envFrom"]:
            ref = source.get("configMapRef") or source.get("secretRef")
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            assert (kind, ref["name"]) in kinds
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["KEFU_LOCK_STORE"] == "kefu.lockstore.AtomicRedisLockStore"
    assert config["KEFU_RASA_URL"].endswith(":5005")
    hosts = set(config["KEFU_ALLOWED_HOSTS"].split(","))
    assert {"kefu-rasa", "kefu-actions"} <= hosts
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$cookie_kefu_session"


def test_systemd_units_run_existing_modules_with_the_shared_environment():
    env_keys = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "systemd" / "kefu.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    config = next(d for d in _manifests() if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in _manifests() if d["kind"] == "Secret")["stringData"]
    # both describe the same settings (the env file also carries the secrets)
    assert set(config) - {"KEFU_ALLOWED_HOSTS"} <= env_keys
    assert set(secret) <= env_keys
    for unit in sorted((DEPLOY / "systemd").glob("*@.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read_string(unit.read_text())
        exec_start = parser["Service"]["ExecStart"]
        module = re.search(r"-m (\S+)", exec_start).group(1)
        assert importlib.util.find_spec(module) is not None, (unit.name, module)
        assert "%i" in exec_start and parser["Service"]["EnvironmentFile"] == "/etc/kefu/kefu.env"

"""The deployment files: systemd units that `systemd-analyze verify` accepts, an nginx example that
`nginx -t` accepts and that serves exactly the public paths (each check where the tool is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = {"chibo.service": "run", "chibo-worker.service": "worker"}
CHIBO = Path(sys.executable).with_name("chibo")  # the installed console script


@pytest.mark.parametrize(("unit", "command"), UNITS.items())
def test_units_restart_on_failure_run_as_chibo_read_the_env_file_and_are_hardened(unit, command):
    text = (DEPLOY / "systemd" / unit).read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.MULTILINE))
    assert settings["ExecStart"] == f"/opt/chibo/venv/bin/chibo {command}"
    assert settings["Restart"] == "on-failure" and settings["RestartPreventExitStatus"] == "2"
    assert settings["User"] == "chibo" and settings["EnvironmentFile"] == "/etc/chibo/chibo.env"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "CapabilityBoundingSet": "", "StateDirectory": "chibo"}.items():
        assert settings.get(key) == value, key
    assert "CHIBO_SECRETS_DIR=%d" in text  # secrets as systemd credentials


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_accepts_the_units(unit, tmp_path):
    # verify checks that ExecStart exists: point it at this checkout's chibo
    text = (DEPLOY / "systemd" / unit).read_text().replace("/opt/chibo/venv/bin/chibo", str(CHIBO))
    (tmp_path / unit).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True,
                          timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if unit in line or "Unknown" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr  # it only warns about unknown keys


def _nginx_conf(tmp_path: Path) -> Path:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=bot.example.vn"], check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "chibo.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/bot.example.vn/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bot.example.vn/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    temp = " ".join(f"{name}_temp_path {tmp_path};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main.write_text(f"error_log {tmp_path}/error.log; pid {tmp_path}/nginx.pid; events {{}}\n"
                    f"http {{ access_log off; {temp} include {tmp_path}/site.conf; }}\n")
    return main


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path):
    main = _nginx_conf(tmp_path)
    done = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_proxy_serves_the_webhooks_files_and_health_but_not_metrics():
    site = (DEPLOY / "nginx" / "chibo.conf").read_text()
    site = next(block for block in site.split("\nserver {") if "listen 443" in block)  # the HTTPS server
    locations = {m.group(2): m.group(3) for m in re.finditer(r"^\s*location (= |\^~ )?(\S+)\s*\{(.*)\}\s*$", site,
                                                              flags=re.MULTILINE)}  # one location per line
    for path in ("/telegram", "/zalo", "/zalo/", "/files/", "/healthz", "/readyz"):
        assert "proxy_pass http://chibo" in locations[path], path
    assert "/metrics" not in locations and "return 404" in locations["/"]

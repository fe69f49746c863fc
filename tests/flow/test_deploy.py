"""The deployment files: systemd units that `systemd-analyze verify` accepts, an nginx example that
`nginx -t` accepts and that serves exactly the public paths (each check where the tool is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx is not installed")
async def test_through_the_example_proxy_health_and_webhooks_pass_and_metrics_do_not(scene, tmp_path):
    import asyncio

    import httpx

    from bot.platforms import WebhookOptions
    from bot.runtime.runner import Runtime

    chibo, public = free_port(), free_port()
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True,
                            webhook=WebhookOptions(url=f"https://127.0.0.1:{public}", port=chibo))
    await scene.runtime.start()
    main = _nginx_conf(tmp_path)
    site = (tmp_path / "site.conf").read_text()
    site = site.replace("server 127.0.0.1:8443;", f"server 127.0.0.1:{chibo};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{public} ssl http2;")
    site = site.replace("listen [::]:443 ssl http2;", "").replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    site = site.replace("listen [::]:80;", "")
    (tmp_path / "site.conf").write_text(site)
    nginx = await asyncio.create_subprocess_exec("nginx", "-c", str(main), "-p", str(tmp_path), "-g", "daemon off;")
    try:
        async with httpx.AsyncClient(verify=False, base_url=f"https://127.0.0.1:{public}") as client:
            for _ in range(50):  # nginx takes a moment to listen
                try:
                    ready = await client.get("/readyz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert ready.status_code == 200 and ready.json()["schema"] == "ok"
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/metrics")).status_code == 404  # not proxied
            assert (await client.post("/telegram", json={})).status_code == 403  # reached chibo: wrong secret
            assert (await client.get("/telegram")).status_code == 403  # only POST passes
            assert (await client.get("/files/x.png?exp=1&sig=0")).status_code == 404  # reached chibo: bad signature
            assert (await client.get("/anything-else")).status_code == 404
    finally:
        nginx.terminate()
        await nginx.wait()

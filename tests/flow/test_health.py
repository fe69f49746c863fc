"""/healthz, /readyz and /metrics of a running chibo: polling, webhook and worker."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text

from bot.cli.app import health_port
from bot.demo.scene import Scene
from bot.runtime import runner
from bot.runtime.runner import Runtime, WebhookOptions
from core import metrics
from core.settings import Settings
from scheduler.jobs import _safely
from scheduler.timed.nudges import run_daily
from storage.db import create_engine, head_revision, session_factory
from storage.models import OutboxMessage, Role
from storage.usage import add_sent
from tests.conftest import free_port, vn


async def get(port: int, path: str, **headers) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{port}{path}", headers=headers)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def cell(scene: Scene) -> None:
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Bí Thư Riêng", Role.BI_THU), ("Đảng Viên Riêng", Role.DANG_VIEN)])


async def test_polling_mode_serves_health_readiness_and_metrics(scene: Scene, port):
    await cell(scene)
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, http_port=port)
    await scene.runtime.start()
    await scene.link("Bí Thư Riêng", "Đảng Viên Riêng")
    await scene.say("Bí Thư Riêng", "/lichhop 2026-12-05 19:30")
    await scene.say("Đảng Viên Riêng", "/lenh_la")
    scene.server.block(scene.who("Đảng Viên Riêng").chat_id)
    scene.at(vn(2026, 12, 2, 19, 30))  # the 3-day reminder falls due, and the member has blocked the bot
    await scene.settle()

    healthz = await get(port, "/healthz")
    assert healthz.json() == {"status": "ok"}
    assert "server" not in healthz.headers  # tornado's Server: TornadoServer/<version> is dropped
    ready = await get(port, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "database": "ok", "schema": "ok", "dispatcher": "ok", "scheduler": "ok"}

    response = await get(port, "/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("chibo_updates_handled_total", (("command", "schedule"), ("outcome", "ok"),
                                                  ("platform", "telegram")))] >= 1
    assert found[("chibo_updates_handled_total", (("command", "unknown"), ("outcome", "ok"),
                                                  ("platform", "telegram")))] >= 1
    assert found[("chibo_update_handling_seconds_count", (("platform", "telegram"),))] >= 4
    assert found[("chibo_outbox_deliveries_total", (("outcome", "sent"), ("platform", "telegram")))] >= 1
    assert found[("chibo_outbox_deliveries_total", (("outcome", "blocked"), ("platform", "telegram")))] >= 1
    assert ("chibo_active_sender", ()) in found
    await _safely("daily", run_daily, scene.runtime.services)
    found = samples((await get(port, "/metrics")).text)
    assert found[("chibo_job_runs_total", (("job", "daily"), ("outcome", "ok")))] >= 1
    # No personal data in names, labels or help texts. Only the values are left out of the check: a chat id
    # such as 1002 can turn up inside a timestamp's digits (1.79613891002e+09) by chance.
    words = [line if line.startswith("#") else line.rsplit(" ", 1)[0] for line in response.text.splitlines()]
    assert len(words) > 20
    for secret in ("Bí Thư Riêng", "Đảng Viên Riêng", "Chi bộ 1", str(scene.who("Đảng Viên Riêng").chat_id),
                   scene.settings.token_value()):
        assert not [w for w in words if secret in w], secret


async def test_the_outbox_gauges_count_due_rows_by_platform_and_kind(scene: Scene, port):
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, http_port=port)
    await scene.runtime.start()
    now = scene.clock.now()
    async with scene.sessions()() as session, session.begin():  # Zalo rows: this Telegram-only process keeps them
        for i, (kind, late) in enumerate([("reminder", 600), ("reminder", 60), ("nudge", 30), ("nudge", -30)]):
            session.add(OutboxMessage(key=f"k{i}", kind=kind, platform="zalo", chat_id=str(i), payload={"text": "x"},
                                      priority=5, due_at=now - timedelta(seconds=late), attempts=0, created_at=now))
    found = samples((await get(port, "/metrics")).text)
    assert found[("chibo_outbox_due", (("kind", "reminder"), ("platform", "zalo")))] == 2
    assert found[("chibo_outbox_oldest_due_age_seconds", (("kind", "reminder"), ("platform", "zalo")))] == 600
    assert found[("chibo_outbox_due", (("kind", "nudge"), ("platform", "zalo")))] == 1  # the other is not due yet


async def test_metrics_are_not_served_through_a_proxy_or_to_another_host_without_the_token(scene: Scene, port):
    await cell(scene)
    scene.settings.metrics_token = SecretStr("scrape-me")
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, http_port=port)
    await scene.runtime.start()
    assert (await get(port, "/metrics", **{"X-Forwarded-For": "203.0.113.9"})).status_code == 404
    assert (await get(port, "/metrics", **{"X-Real-IP": "127.0.0.1"})).status_code == 404  # forwarded: not trusted
    proxied_with_token = await get(port, "/metrics", **{"X-Forwarded-For": "10.0.0.5",
                                                        "Authorization": "Bearer scrape-me"})
    assert proxied_with_token.status_code == 200 and "chibo_updates_handled" in proxied_with_token.text
    assert (await get(port, "/metrics", Authorization="Bearer wrong", **{"X-Real-IP": "10.0.0.5"})).status_code == 404
    assert (await get(port, "/healthz", **{"X-Forwarded-For": "203.0.113.9"})).status_code == 200


async def test_readiness_fails_when_the_schema_is_behind_or_the_dispatcher_stops(scene: Scene, port):
    await cell(scene)
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, http_port=port)
    await scene.runtime.start()
    assert (await get(port, "/readyz")).status_code == 200
    other = create_engine(scene.settings.database_url)  # the schema is not the code's any more (a rollback)
    try:
        async with other.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        behind = await get(port, "/readyz")
        assert behind.status_code == 503 and behind.json()["schema"] == "behind (0005)"
        async with other.begin() as conn:
            await conn.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
    finally:
        await other.dispose()
    assert (await get(port, "/readyz")).status_code == 200
    await scene.runtime.dispatcher.stop()
    scene.runtime.readiness.stale_after = 0.3
    await asyncio.sleep(0.5)
    stale = await get(port, "/readyz")
    assert stale.status_code == 503 and stale.json()["dispatcher"].startswith("stale")


async def test_webhook_mode_serves_health_on_the_webhook_port_unless_given(scene: Scene, port):
    await cell(scene)
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True,
                            webhook=WebhookOptions(url=f"http://127.0.0.1:{port}", port=port))
    await scene.runtime.start()
    assert (await get(port, "/readyz")).status_code == 200
    assert (await get(port, "/metrics")).status_code == 200
    await scene.stop_bot()
    port, own = free_port(), free_port()
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, health_port=own,
                            webhook=WebhookOptions(url=f"http://127.0.0.1:{port}", port=port))
    await scene.runtime.start()
    assert (await get(own, "/readyz")).status_code == 200
    assert (await get(port, "/readyz")).status_code == 404


async def test_a_worker_serves_health_too(scene: Scene, port):
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, health=True, take_updates=False,
                            http_port=port)
    await scene.runtime.start()
    ready = await get(port, "/readyz")
    assert ready.status_code == 200, ready.text
    metrics.set_active_sender(True)  # what the active-sender election (#12) will set
    assert samples((await get(port, "/metrics")).text)[("chibo_active_sender", ())] == 1
    metrics.set_active_sender(False)


async def test_zalo_quota_used_per_bot_is_read_from_the_shared_table(engine):
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await add_sent(session, "hangbac", "2026-12", 120)
        await add_sent(session, "hangbac", "2026-11", 999)  # last month does not count
    await metrics.refresh_from_database(sessions, vn(2026, 12, 1, 8, 0), "2026-12", {"hangbac": 3000, "zalo": 2000})
    found = samples(metrics.exposition().decode())
    assert found[("chibo_zalo_quota_used", (("bot", "hangbac"),))] == 120
    assert found[("chibo_zalo_quota_used", (("bot", "zalo"),))] == 0
    assert found[("chibo_zalo_quota_limit", (("bot", "zalo"),))] == 2000


def test_the_health_port_comes_from_the_option_the_variable_or_the_default():
    plain, configured = Settings(_env_file=None), Settings(_env_file=None, http_port=9100)
    assert health_port(plain, None, 8443) == 8443
    assert health_port(plain, 9000, 8443) == 9000
    assert health_port(configured, None, 8443) == 9100
    assert health_port(configured, 9000, 8443) == 9000
    assert health_port(configured, 0, 8443) is None  # 0: no health endpoint
    assert health_port(Settings(_env_file=None, http_port=0), None, 8444) is None


@pytest.mark.parametrize("mode", ["polling", "worker"])
async def test_start_and_stop_are_logged_with_the_mode(scene: Scene, caplog, mode):
    caplog.set_level("INFO", logger=runner.__name__)
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, take_updates=mode == "polling")
    await scene.runtime.start()
    await scene.stop_bot()
    lines = [r.getMessage() for r in caplog.records if r.name == runner.__name__]
    assert any(line.startswith("chibo started") and f"mode={mode}" in line for line in lines)
    assert any(line.startswith("chibo stopped") and f"mode={mode}" in line for line in lines)

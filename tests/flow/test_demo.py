"""`chibo demo` plays its month and every step happens; the guides quote what it really says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.demo.demo import VIEWERS, render_transcript

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_serves_the_web_view_of_its_committee(demo_run):
    from tests.conftest import DEMO_WEB_PAGES as SERVED

    status, page = SERVED[VIEWERS[-1][0]]  # the committee member: the table of the three cells
    assert status == 200 and all(f"Chi bộ khu dân cư số {n}" in page for n in (1, 2, 3))
    status, page = SERVED[VIEWERS[0][0]]  # the secretary: their cell's year
    assert status == 200 and 'Chi bộ khu dân cư số 1 – <span id="period-title">Năm 2026</span>' in page and "75/90 phút" in page


def test_every_step_of_the_demo_happens(demo_run):
    demo, out, _ = demo_run
    failed = [what for what, ok in demo.checks if not ok]
    assert not failed and len(demo.checks) >= 12
    assert (out / "tom-tat-tuan.xlsx").stat().st_size > 1000
    assert (out / "bieu-do-ty-le-du-hop.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = json.loads((out / "transcript.json").read_text(encoding="utf-8"))
    assert {line["person"] for line in lines} >= {name for name, _ in VIEWERS}
    secretary = render_transcript(demo.scene.transcript, *VIEWERS[0])
    assert "KHÔNG ĐẠT thời lượng tối thiểu 90 phút" in secretary and "/lichhop 2026-12-05 19:30" in secretary


def normalize(text: str) -> str:
    """Invite codes are random: compare them as CODE."""
    return re.sub(r"\b[A-HJ-NP-Z2-9]{8}\b", "CODE", " ".join(text.split()))


def guide_examples(path: Path) -> list[str]:
    """The blocks a guide marks as the bot's words: ```chibo ... ``` fences."""
    return re.findall(r"```chibo\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


@pytest.mark.parametrize("guide", sorted((ROOT / "docs").glob("huong-dan-*.md")), ids=lambda p: p.stem)
def test_guide_examples_are_what_the_bot_says(demo_run, guide):
    demo, _, _ = demo_run
    said = {normalize(line.text) for line in demo.scene.transcript if line.sender == "bot"}
    examples = guide_examples(guide)
    assert examples, f"{guide.name} quotes no message of the bot"
    for example in examples:
        assert normalize(example) in said, f"{guide.name}: this example is not what the bot says now:\n{example}"

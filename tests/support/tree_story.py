"""The tree of committees, for the tree's tests (chat, HTTP and browser): a city over a district over two wards,
each with cells, and a cell directly under the district; a committee member at each level, secretaries and a
member linked; December's meetings held, the web view served."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bot.demo.scene import Scene
from bot.runtime.http_server import HttpServer
from core.weblinks import web_token
from storage.models import AttendanceStatus, ChatLink, MeetingKind, Platform, Role
from tests.support.web_story import VN, _meeting

P, A = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT
CITY, DISTRICT, WARD_A, WARD_B = "Thành ủy Thử Nghiệm", "Quận ủy Ba Đình", "Đảng ủy phường Điện Biên", "Đảng ủy phường Kim Mã"
CM_CITY, CM_DISTRICT, CM_A, CM_B = "Vũ Văn Thành", "Lâm Thị Quận", "Đào Văn Phường", "Hà Thị Kim"
SEC_A1, SEC_A2, SEC_B1, SEC_D1 = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"
MEMBER_A1 = "Hoàng Văn Em"
CELLS = {  # cell: (committee, members)
    "Chi bộ khu phố 1": (WARD_A, [(SEC_A1, Role.BI_THU), (MEMBER_A1, Role.DANG_VIEN), ("Bùi Văn Giang", Role.DANG_VIEN),
                                  ("Đỗ Thị Hạnh", Role.DANG_VIEN)]),
    "Chi bộ khu phố 2": (WARD_A, [(SEC_A2, Role.BI_THU), ("Ngô Văn Ích", Role.DANG_VIEN), ("Tạ Thị Khuê", Role.DANG_VIEN)]),
    "Chi bộ Kim Mã 1": (WARD_B, [(SEC_B1, Role.BI_THU), ("Mai Văn Lộc", Role.DANG_VIEN), ("Kiều Thị Mận", Role.DANG_VIEN)]),
    "Chi bộ cơ quan quận": (DISTRICT, [(SEC_D1, Role.BI_THU), ("Quách Văn Nam", Role.DANG_VIEN)]),
}
NOW = datetime(2026, 12, 9, 9, 0, tzinfo=VN)  # a Wednesday: December's meetings of the 5th and 6th are held


@dataclass
class Tree:
    scene: Scene
    http: HttpServer
    committees: dict[str, int]
    cells: dict[str, int]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    async def base(self, name: str) -> str:
        async with self.scene.sessions()() as s:
            link_id = await s.scalar(select(ChatLink.id).where(ChatLink.platform == Platform.TELEGRAM,
                                                                ChatLink.platform_user_id == str(self.scene.who(name).user_id)))
        return f"/web/{web_token(self.scene.settings, link_id, self.scene.clock.now())}"


async def build(scene: Scene) -> Tree:
    scene.at(datetime(2026, 9, 1, 8, 0, tzinfo=VN))
    ids: dict[str, int] = {}
    ids[CITY] = await scene.add_committee(CITY)
    ids[DISTRICT] = await scene.add_committee(DISTRICT, parent=ids[CITY])
    ids[WARD_A] = await scene.add_committee(WARD_A, parent=ids[DISTRICT])
    ids[WARD_B] = await scene.add_committee(WARD_B, parent=ids[DISTRICT])
    cells = {name: await scene.add_cell(ids[committee], name, members, active_from=date(2020, 1, 1))
             for name, (committee, members) in CELLS.items()}
    for person, committee in ((CM_CITY, CITY), (CM_DISTRICT, DISTRICT), (CM_A, WARD_A), (CM_B, WARD_B)):
        await scene.add_committee_member(ids[committee], person)
    await scene.start_bot()
    await scene.link(CM_CITY, CM_DISTRICT, CM_A, CM_B, SEC_A1, SEC_A2, SEC_B1, SEC_D1, MEMBER_A1)
    # December: khu phố 1 held (all but one came), khu phố 2 held with two of three, Kim Mã 1 held by all,
    # the district's own cell has not met. Only Kim Mã 1 held its thematic meeting this quarter.
    everyone = {name: P for name, _ in CELLS["Chi bộ khu phố 1"][1]}
    await _meeting(scene, cells["Chi bộ khu phố 1"], MeetingKind.THUONG_KY, datetime(2026, 12, 5, 19, 30, tzinfo=VN), 95,
                   {**everyone, "Đỗ Thị Hạnh": A})
    await _meeting(scene, cells["Chi bộ khu phố 2"], MeetingKind.THUONG_KY, datetime(2026, 12, 5, 19, 30, tzinfo=VN), 95,
                   {SEC_A2: P, "Ngô Văn Ích": P, "Tạ Thị Khuê": A})
    await _meeting(scene, cells["Chi bộ Kim Mã 1"], MeetingKind.THUONG_KY, datetime(2026, 12, 6, 19, 30, tzinfo=VN), 95,
                   {name: P for name, _ in CELLS["Chi bộ Kim Mã 1"][1]})
    await _meeting(scene, cells["Chi bộ Kim Mã 1"], MeetingKind.CHUYEN_DE, datetime(2026, 11, 20, 19, 0, tzinfo=VN), 125,
                   {name: P for name, _ in CELLS["Chi bộ Kim Mã 1"][1]})  # Kim Mã 1 needs nothing
    scene.at(NOW)
    tree = Tree(scene, HttpServer(scene.runtime.services, listen="127.0.0.1", port=0), ids, cells)
    await tree.http.start()
    scene.settings.public_url = tree.root
    return tree

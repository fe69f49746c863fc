"""``rules.names.find_named``: a name as a person types it (the check-in by name, /xeploai's units)."""

from rules.names import find_named

WARDS = ["Đảng ủy phường Hàng Đào", "Đảng ủy phường Hàng Bạc", "Đảng ủy phường Hãng Đào", "Chi bộ trực thuộc Quận ủy"]


def named(query: str) -> list[str]:
    return find_named(WARDS, query, lambda name: name)


def test_the_exact_name_first_then_without_diacritics_then_whole_words_then_any_part():
    assert named("đảng ủy  phường hàng đào") == ["Đảng ủy phường Hàng Đào"]  # exact, case and spacing aside
    assert named("dang uy phuong hang dao") == ["Đảng ủy phường Hàng Đào", "Đảng ủy phường Hãng Đào"]  # both fold
    assert named("Hàng Bạc") == ["Đảng ủy phường Hàng Bạc"] and named("hang bac") == ["Đảng ủy phường Hàng Bạc"]
    assert named("truc thuoc") == ["Chi bộ trực thuộc Quận ủy"]
    assert named("phuong hang") == WARDS[:3]  # whole words, in order
    assert named("ang ba") == ["Đảng ủy phường Hàng Bạc"]  # only a part of words: any name containing it
    assert named("Hoàn Kiếm") == [] and named("  ") == [] and named("\u0301") == []

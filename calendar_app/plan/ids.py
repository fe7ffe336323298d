"""A new unit's id, made from its name as the shipped plan's ids are: the pinyin of what the
body does, without the county's prefix and the kind of body (县数据局 → shuju, 县委网信办 →
wangxinban, 城关镇 → chengguan). Ids name the feeds units subscribe to and never change once
published, so they are made once, when a county's table is read (`draft`), and written into
its plan for the coordinator to keep or shorten."""

from __future__ import annotations

import re
from collections.abc import Collection

from pypinyin import lazy_pinyin

# Longest first: 县委宣传部 loses 县委, not only 县; 街道办事处 before 街道.
_PREFIXES = ("县委", "县", "市")
_SUFFIXES = ("街道办事处", "街道", "分局", "局", "部", "镇", "乡")


def unit_id(name: str, taken: Collection[str]) -> str:
    """The id for the unit `name`, not one of `taken` (a digit is added where it would be:
    two 城关 a county cannot have, but 城关镇 and 城关乡 it can)."""
    core = re.sub(r"[（(][^）)]*[）)]", "", name)  # 县科协（统筹） names the same body
    for prefix in _PREFIXES:
        if core.startswith(prefix) and len(core) - len(prefix) >= 2:
            core = core[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if core.endswith(suffix) and len(core) - len(suffix) >= 2:
            core = core[:-len(suffix)]
            break
    base = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(core)).lower()) or "unit"
    uid, n = base, 2
    while uid in taken:
        uid, n = f"{base}{n}", n + 1
    return uid

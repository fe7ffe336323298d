"""The rhythms a measure's text states, as obligations a draft plan can hold: 每周, 每月,
每季度, 每半年, 每学期, 每天, 每年N次, 每年…N…以上 (a yearly quota), 到20XX年…N…以上 (a
milestone), N年内…全覆盖 (a rotation over the townships) and the national days and months the
text names (防灾减灾日, 安全生产月 ...). Pure: text in, findings out.

Each finding quotes the words it rests on, verbatim, and says in `assumed` what the table
leaves open and what the county's draft chose, so the coordinator can tell the one from the
other. Text with no rhythm yields nothing: that measure is the coordinator's decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..model import Target
from . import rules
from .workdays import Observance
from .yearday import YearDay

TITLE_MOST = 60  # characters of a clause taken as an event's title

_SENTENCE = re.compile(r"[^。；;！!\n]+")
_CLAUSE = re.compile(r"[^，,：:]+")
_TIMES = re.compile(r"每年[^，。；\d]{0,10}?(\d+)(?:\s*[-—–～~至到]\s*(\d+))?\s*次")
_AMOUNT = re.compile(r"(\d+)\s*([^\d\s，。；、,（）()]{1,3}(?:[（(][^）)\d]{1,3}[）)])?)以上")
_YEAR = re.compile(r"(?:到|至)?(20\d\d)年(?:底|末)?前?")
_ROTATION = re.compile(r"(\d+|[一二两三四五六七八九十])年内[^。；，]*?全覆盖")
_CN_NUMBERS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2}

# From the first of March to the end of November: clear of Spring Festival and the year's end.
SEASON = (YearDay(3, 1), YearDay(11, 30))


@dataclass(frozen=True)
class Rhythm:
    """One obligation a measure's text states: `key` names its kind in the obligation's id."""

    key: str
    title: str
    quote: str
    rule: rules.Rule
    assumed: str
    workdays: str = "keep"

    @property
    def target(self) -> Target | None:
        if isinstance(self.rule, rules.Quota):
            return Target("quota", self.rule.amount, self.rule.unit)
        if isinstance(self.rule, rules.Milestone):
            return Target("milestone", self.rule.amount, self.rule.unit, self.rule.by)
        return None


@dataclass(frozen=True)
class _Clause:
    text: str
    start: int  # where it starts in the measure's text
    sentence: str
    sentence_start: int


def rhythms(text: str, title: str, start: date, observances: dict[str, Observance],
            townships: str = "") -> list[Rhythm]:
    """What `text` (a measure's, titled `title`) states a rhythm for. `observances`: every
    name and alias of the plan's observance days; `townships`: the group a rotation goes
    round ("" when the plan has none: no rotation is made)."""
    found: list[Rhythm] = []
    clauses = _clauses(text)
    for i, clause in enumerate(clauses):
        found += _cadences(clause, clauses[i - 1] if i else None, start)
    for sentence, at in _spans(_SENTENCE, text, 0):
        found += _numbers(sentence, at)
        if townships:
            found += _rotations(sentence, text, at, townships)
    found += _days(text, title, observances)
    return found


def _spans(pattern: re.Pattern[str], text: str, offset: int) -> list[tuple[str, int]]:
    return [(m[0].strip(), offset + m.start() + len(m[0]) - len(m[0].lstrip()))
            for m in pattern.finditer(text) if m[0].strip()]


def _clauses(text: str) -> list[_Clause]:
    return [_Clause(clause, at, sentence, s_at)
            for sentence, s_at in _spans(_SENTENCE, text, 0)
            for clause, at in _spans(_CLAUSE, sentence, s_at)]


def _said(quote: str) -> str:
    return f"分工表规定“{quote}”"


def _short(text: str) -> str:
    return text if len(text) <= TITLE_MOST else text[:TITLE_MOST - 1] + "…"


def _with_subject(clause: _Clause, before: _Clause | None) -> str:
    """The clause, with the one before it when it starts with its rhythm (每学期开展巡回演讲
    says who only in 组建科普演讲团): words of the text as they stand."""
    if before is not None and before.sentence_start == clause.sentence_start and \
            clause.text.startswith("每"):
        return clause.sentence[before.start - clause.sentence_start:
                               clause.start - clause.sentence_start + len(clause.text)]
    return clause.text


def _cadences(clause: _Clause, before: _Clause | None, start: date) -> list[Rhythm]:
    text = clause.text
    quote = _with_subject(clause, before)
    found = []
    if "每周" in text:
        found.append(Rhythm("weekly", _short(text), quote, rules.Weekly(2),
                            f"{_said(text)}，未规定星期几；县里暂按每周三安排，可改为实际开展的日子"))
    if "每月" in text:
        found.append(Rhythm("monthly", _short(text), quote, rules.Monthly(day=15),
                            f"{_said(text)}，未规定日期；县里暂按每月15日安排，遇休息日顺延",
                            workdays="next"))
    if "每季" in text:
        windows = tuple((YearDay(m, 11), YearDay(m, 30 if m in (6, 9) else 31))
                        for m in (3, 6, 9, 12))
        found.append(Rhythm("quarterly", _short(text), quote, rules.Yearly(windows),
                            f"{_said(text)}，未规定日期；县里暂按每季度末月中旬至月底安排，"
                            "具体日子由日程错开"))
    if "每半年" in text:
        windows = ((YearDay(6, 11), YearDay(6, 30)), (YearDay(12, 11), YearDay(12, 31)))
        found.append(Rhythm("half-yearly", _short(text), quote, rules.Yearly(windows),
                            f"{_said(text)}，未规定日期；县里暂按每年6月、12月中旬至月底安排，"
                            "具体日子由日程错开"))
    if "每学期" in text:
        found.append(Rhythm("term", _short(text), quote, rules.PerTerm((3, 16), 1),
                            f"{_said(text)}，未规定次数和时间；县里暂按每学期1次、放在第3至16周安排"
                            "（避开开学和期末考试）"))
    if "每天" in text or "每日" in text:
        found.append(Rhythm("daily", _short(text), quote, rules.RRule("FREQ=DAILY", start),
                            f"{_said(text)}；县里按每天安排"))
    times = _TIMES.search(text)
    if times:
        least = int(times[1])
        most = max(least, int(times[2] or least))
        more = f"（可增至{most}次）" if most > least else ""
        found.append(Rhythm("times", _short(text), quote,
                            rules.TimesAYear(least, most, least, *SEASON),
                            f"{_said(times[0])}，未规定时间；县里暂按每年{least}次{more}、"
                            "放在3月至11月安排，具体日子由日程错开"))
    elif "每年" in text and not _AMOUNT.search(clause.sentence):
        found.append(Rhythm("yearly", _short(text), quote, rules.TimesAYear(1, 1, 1, *SEASON),
                            f"{_said(text)}，未规定次数和时间；县里暂按每年1次、放在3月至11月安排"))
    return found


def _numbers(sentence: str, at: int) -> list[Rhythm]:
    """Yearly quotas (每年…N…以上) and milestones (到20XX年…N…以上): each number to reach
    belongs to the 每年 or the year written last before it."""
    marks = [(m.start(), "yearly", m) for m in re.finditer("每年", sentence)]
    marks += [(m.start(), "by", m) for m in _YEAR.finditer(sentence)]
    marks.sort(key=lambda m: m[0])
    found = []
    for amount in _AMOUNT.finditer(sentence):
        before = [m for m in marks if m[0] < amount.start()]
        if not before or _TIMES.search(sentence[before[-1][0]:amount.end()]):
            continue
        where, kind, mark = before[-1]
        clause = _around(sentence, amount.start(), amount.end())
        quote = sentence[where:amount.end()]
        number, what = int(amount[1]), amount[2]
        if kind == "yearly":
            found.append(Rhythm("quota", _short(clause), quote, rules.Quota(number, what),
                                f"{_said(quote)}；县里按每年{number}{what}统计完成进度，"
                                "不排具体日程"))
        else:
            year = int(mark[1])
            found.append(Rhythm("milestone", _short(f"{clause}（{year}年底截止）"), quote,
                                rules.Milestone(number, what, date(year, 12, 31)),
                                f"{_said(quote)}；县里以{year}年12月31日为截止日期统计进度"))
    return found


def _around(sentence: str, first: int, last: int) -> str:
    """The clause of `sentence` holding [first, last)."""
    low = max(sentence.rfind(c, 0, first) for c in "，,：:")
    highs = [h for h in (sentence.find(c, last) for c in "，,：:") if h >= 0]
    return sentence[low + 1:min(highs) if highs else len(sentence)].strip()


def _rotations(sentence: str, text: str, at: int, townships: str) -> list[Rhythm]:
    found = []
    for m in _ROTATION.finditer(sentence):
        years = int(m[1]) if m[1].isdigit() else _CN_NUMBERS[m[1]]
        # Who goes round: the clause before "N年内…全覆盖" (开展科普大篷车、流动科技馆巡展活动).
        head = sentence[:m.start()].rstrip("，,：: ")
        what = head[max(head.rfind(c) for c in "，,：:") + 1:] or m[0]
        quote = sentence[sentence.find(what):m.end()] if what != m[0] else m[0]
        found.append(Rhythm("rotation", _short(what), quote,
                            rules.Rotation((), years, 0, *SEASON, group=townships),
                            f"{_said(quote)}；县里暂按{years}年内{townships}各1次、每年依次轮流，"
                            "放在3月至11月安排，具体日子由日程错开"))
    return found


def _days(text: str, title: str, observances: dict[str, Observance]) -> list[Rhythm]:
    """The national days and months the text names, each once, longest name first."""
    taken: list[tuple[int, int]] = []
    seen: set[str] = set()
    found = []
    for name in sorted(observances, key=lambda n: (-len(n), n)):
        observance = observances[name]
        for m in re.finditer(re.escape(name), text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            if observance.name in seen:
                continue
            seen.add(observance.name)
            quote = _around_sentence(text, m.start(), m.end())
            found.append((m.start(), Rhythm(
                "day", _short(f"{observance.name}：{title.rstrip('。')}"), quote,
                rules.ObservanceRule(name),
                f"分工表写“{name}”；县里在{observance.name}（{_when(observance)}）安排")))
    return [r for _, r in sorted(found, key=lambda f: f[0])]


def _around_sentence(text: str, first: int, last: int) -> str:
    for sentence, at in _spans(_SENTENCE, text, 0):
        if at <= first and last <= at + len(sentence):
            return sentence
    return text[first:last]


def _when(observance: Observance) -> str:
    """When an observance falls, in a reason's words."""
    rule = observance.rule
    if rule is None:
        return "每年公布的日期"
    said = rule.describe()
    if observance.until is not None:
        said += f"至{observance.until.describe()}"
    elif observance.days > 1:
        said += f"起{observance.days}天"
    return f"每年公布的日期，未公布时按{said}" if observance.table else f"每年{said}"

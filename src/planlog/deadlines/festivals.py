"""Festival dates named in deadline text (三八前, 春节前, 国庆).

Aliases are in simplified characters, as the normaliser leaves them: numerals in
festival names (三八, 五一, 七一) are never converted to digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lunardate import LunarDate


@dataclass(frozen=True)
class Festival:
    name: str
    month: int
    day: int
    lunar: bool
    aliases: tuple[str, ...]

    def on(self, year: int) -> date:
        """The festival's date in `year`; a lunar festival of lunar year `year`."""
        if not self.lunar:
            return date(year, self.month, self.day)
        solar = LunarDate(year, self.month, self.day).to_solar_date()
        return date(solar.year, solar.month, solar.day)

    def written_as(self, month: int, day: int, year: int) -> bool:
        """Whether a prefix like `3.12` (3.12植树节) names this festival's date."""
        if (month, day) == (self.month, self.day):
            return True
        solar = self.on(year)
        return (month, day) == (solar.month, solar.day)


FESTIVALS: tuple[Festival, ...] = (
    Festival("New Year's Day", 1, 1, False, ("元旦节", "元旦")),
    Festival("Spring Festival", 1, 1, True, ("春节", "新春", "农历新年")),
    Festival("Lantern Festival", 1, 15, True, ("元宵节", "元宵")),
    Festival(
        "Women's Day",
        3,
        8,
        False,
        (
            "三八国际劳动妇女节",
            "国际劳动妇女节",
            "三八国际妇女节",
            "三八妇女节",
            "国际妇女节",
            "妇女节",
            "三八节",
            "三.八",
            "三八",
        ),
    ),
    Festival("Arbor Day", 3, 12, False, ("植树节",)),
    Festival(
        "Labour Day",
        5,
        1,
        False,
        ("五一国际劳动节", "五一劳动节", "国际劳动节", "劳动节", "五一节", "五.一", "五一"),
    ),
    Festival("Youth Day", 5, 4, False, ("五四青年节", "青年节", "五四")),
    Festival(
        "Children's Day",
        6,
        1,
        False,
        ("六一国际儿童节", "六一儿童节", "国际儿童节", "儿童节", "六一"),
    ),
    Festival("Dragon Boat Festival", 5, 5, True, ("端午节", "端午")),
    Festival("Party Founding Day", 7, 1, False, ("七一建党节", "建党节", "七一")),
    Festival("Army Day", 8, 1, False, ("八一建军节", "建军节", "八一")),
    Festival("Teachers' Day", 9, 10, False, ("教师节",)),
    Festival("Mid-Autumn Festival", 8, 15, True, ("中秋节", "中秋")),
    # 十一 alone is National Day: the normaliser has already turned 十一月 into 11月.
    Festival("National Day", 10, 1, False, ("国庆节", "国庆", "十一")),
    Festival("Double Ninth Festival", 9, 9, True, ("重阳节", "重阳")),
)

NEW_YEAR = FESTIVALS[0]

BY_ALIAS: dict[str, Festival] = {alias: f for f in FESTIVALS for alias in f.aliases}

# Longest first, so that 三八妇女节 is not read as 三八 followed by junk.
ALIAS_PATTERN = "|".join(sorted(BY_ALIAS, key=len, reverse=True)).replace(".", r"\.")

"""Words the sandbox builds its catalog from, and the fixed works every catalog starts with.

The fixed works are the shared test songs of the platform fixtures (two artists, a name with
``/`` and ``:``, a 100+ character name); the hostile ones are added on request.
"""

from __future__ import annotations

ZH_ADJ = [
    "晴空",
    "微光",
    "远方",
    "夏夜",
    "雨后",
    "海风",
    "旧城",
    "星河",
    "午后",
    "深蓝",
    "月色",
    "初雪",
    "黄昏",
    "花开",
    "山间",
    "晚安",
]
ZH_NOUN = [
    "约定",
    "来信",
    "信号",
    "旅人",
    "街角",
    "回声",
    "秘密",
    "童话",
    "列车",
    "灯塔",
    "梦境",
    "故事",
    "森林",
    "告白",
    "时光",
    "河流",
]
EN_ADJ = [
    "Paper",
    "Silver",
    "Quiet",
    "Golden",
    "Midnight",
    "Electric",
    "Broken",
    "Distant",
    "Velvet",
    "Neon",
    "Hollow",
    "Wild",
]
EN_NOUN = [
    "Lanterns",
    "Harbor",
    "Letters",
    "Rivers",
    "Signals",
    "Gardens",
    "Echoes",
    "Highways",
    "Satellites",
    "Mirrors",
    "Tides",
]
SURNAMES = ["林", "苏", "陈", "周", "许", "沈", "叶", "顾", "江", "白", "温", "程", "唐", "宋", "陆", "方"]
GIVEN = ["一舟", "晚", "星野", "知夏", "子航", "若溪", "予安", "牧云", "清和", "南乔", "远山", "听雨"]
EN_FIRST = ["Mira", "Echo", "Nova", "Luca", "Iris", "Theo", "Ada", "Felix", "June", "Ezra"]
EN_LAST = ["Chen", "Harbor", "Vale", "Lake", "Stone", "Rivers", "Quinn", "Moss", "Hale", "Park"]
LYRIC_LINES = (
    "风吹过港口的黄昏",
    "我们说好不说再见",
    "Under the open sky we made a promise",
    "灯火一盏一盏亮起来",
    "把名字写在潮水里",
    "Hold the light until the morning comes",
    "列车穿过安静的城",
    "你的声音还在回响",
)
FIXED_WORKS = (
    ("晴空下的约定", ("林一舟", "Mira Chen"), "海风来信", 231),
    ("Night/Day: 夜/昼 (Live)", ("Echo Harbor",), "Live at Pier 9: 2024", 254),
    (
        "在很久很久以前的一个下着小雨的午后我们坐在海边的旧书店里听着收音机里传来的那首没有名字的歌"
        "然后约定等到明年夏天再一起去看那片开满白色花朵的山坡和山坡后面那座安静的灯塔",
        ("苏晚",),
        "长标题实验",
        198,
    ),
)
HOSTILE_WORKS = (
    ("../../etc/passwd", ("../root",), "..", 200),
    ("AC/DC: Back\\Slash", ("A/B",), "a/b", 201),
    ("nul\x00byte\x01ctrl", ("Nul\x00Artist",), "ctl\x1f", 202),
    ("x" * 300, ("y" * 300,), "z" * 300, 203),
    ("CON", ("NUL",), "AUX", 204),
    ("  .hidden. ", (" . ",), "...", 205),
)

"""Strings of the public weekly digest (信息公开) posted to a channel, in Simplified Chinese.

The post is HTML: 社区 and organisation names are escaped by the renderer. It is read on a
phone by anyone: short lines, no jargon, and it says why small numbers are not given.
"""

from __future__ import annotations

PUBLIC_TITLE = "📢 <b>邻里居民需求周报（信息公开）</b>"
PUBLIC_WEEK = "{year}年第{week}周（{first}—{last}）"
PUBLIC_DAY = "{month}月{day}日"
PUBLIC_TOTAL = "本周居民提出的需求：<b>{total}</b>。"

PUBLIC_BY_CATEGORY = "<b>按类别</b>"
PUBLIC_BY_COMMUNITY = "<b>按社区</b>"
PUBLIC_HOT = "<b>需求较多的</b>"
PUBLIC_ORGANISATIONS = "<b>服务机构本周表现</b>（完成数/总数）"
PUBLIC_NO_NEEDS = "本周没有可单独公布的数字（每项都不足5件）。"

# A count: a number, a small one, or one withheld so that a small one cannot be worked out.
PUBLIC_COUNT = "{n} 件"
PUBLIC_SMALL = "不足5件"
PUBLIC_WITHHELD = "不公布"
PUBLIC_ITEM = "{name} {count}"
PUBLIC_ITEM_JOIN = " · "
PUBLIC_HOT_ITEM = "{community}·{category} {count}"
# The rest of a list, each under 5 (or withheld), in one line; {unit} is one of the units.
PUBLIC_REST_SMALL = "其余{n}{unit}各不足5件"
PUBLIC_REST_WITHHELD = "{n}{unit}为保护隐私不公布"
PUBLIC_MORE = "等{n}{unit}"
PUBLIC_UNIT_CATEGORY = "类"
PUBLIC_UNIT_PLACE = "处"
# The 社区 row for places the platform does not know (a name it could not match).
PUBLIC_OTHER_PLACES = "其他地点"

# An organisation's line: its three headline rates.
PUBLIC_ORGANISATION = "• {name}：{rates}"
PUBLIC_RATE = "{label} {share}（{numerator}/{denominator}）"
PUBLIC_RATE_JOIN = "，"
PUBLIC_RATE_NONE = "—"
PUBLIC_SMALL_NUMBER = "&lt;5"
PUBLIC_RATE_LABELS = {
    "response_rate": "响应率",
    "on_time_rate": "按时办结率",
    "satisfaction_rate": "满意率",
}
PUBLIC_MORE_ORGANISATIONS = "……另有{n}家机构，详见公开数据文件。"

PUBLIC_FOOTER = (
    "说明：不足5件的数字只写“不足5件”，部分合计也可能不公布，"
    "以免推算出个别居民的情况；不含居民原话、楼栋和小区。"
)

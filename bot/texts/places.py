"""The gazetteer's words: the resident's place choice, the admins' /places and the unknown-place
notice (HTML parse mode: escape what people wrote)."""

from __future__ import annotations

# --- the resident's place step ----------------------------------------------------------------

PLACE_UNSURE = (
    "您写的是「{typed}」。请问是下面哪一个？\n（都不是的话点最后一个，我就按您写的登记。）"
)
BTN_PLACE = "{number}. {label}"
PLACE_LABEL = "{compound}（{community}）"  # a 小区 with its 社区
BTN_PLACE_AS_TYPED = "都不是（按我写的）"
PLACE_CHOSEN = "📍 地点：{place}"
PLACE_KEPT = "📍 地点按您写的登记：{place}"
PLACE_EXPIRED = "这个选择已经过期了，请重新告诉我地点。"

# --- the admins' notice -----------------------------------------------------------------------

UNKNOWN_PLACE = (
    "📍 新需求 <b>#{number}</b>{urgent}（{category}）里居民写的地点「{typed}」不在地名册里，"
    "已按原样登记。\n发 /places 可以把它加为某个小区的别名，或加为新小区"
    "（同样写法的需求会一起更新）。"
)

# --- /places ----------------------------------------------------------------------------------

PLACES_EMPTY = (
    "地名册还是空的：居民写的地点按原样登记，不做匹配。\n"
    "请在服务器上用 <code>linli places import 文件.csv</code> 导入"
    "（列：street,community,compound,aliases）。"
)
PLACES_HEAD = "<b>地名册</b>：{streets} 个街道，{communities} 个社区，{compounds} 个小区"
PLACES_COMMUNITY = "• <b>{community}</b>（{street}，{count} 个小区）：{compounds}"
PLACES_MORE = "等"
PLACES_MORE_COMMUNITIES = (
    "……还有 {count} 个社区（服务器上 <code>linli places list</code> 可看全部）"
)
PLACES_UNKNOWN_HEAD = "\n<b>居民写的、地名册里没有的地点</b>（近 {days} 天，点按钮处理）："
PLACES_UNKNOWN_LINE = "• 「{typed}」：{count} 件需求，最近一件 #{number}"
PLACES_NO_UNKNOWN = "\n近 {days} 天居民写的地点都已在地名册里 ✅"
BTN_HANDLE = "处理「{typed}」"

HANDLE = (
    "「{typed}」（#{number} 等 {count} 件需求）\n"
    "它是哪个小区？选一个加为别名，或者把它加为一个新小区："
)
BTN_ALIAS_OF = "别名 → {label}"
BTN_OTHER_COMPOUND = "是别的小区…"
BTN_NEW_COMPOUND = "加为新小区…"
BTN_BACK = "« 返回"
PICK_COMMUNITY_FOR_ALIAS = "「{typed}」在哪个社区？"
PICK_COMPOUND = "「{typed}」是 {community} 的哪个小区？"
PICK_COMMUNITY_FOR_NEW = "把「{typed}」作为新小区加到哪个社区？"
BTN_COMMUNITY = "{community}"
ALIAS_ADDED = (
    "✅ 已把「{typed}」加为 <b>{compound}</b>（{community}）的别名；"
    "{count} 件需求已改为这个小区。以后居民这样写会自动认出来。"
)
COMPOUND_ADDED = (
    "✅ 已把「{typed}」作为新小区加到 <b>{community}</b>；"
    "{count} 件需求已改为这个小区。以后居民这样写会自动认出来。"
)
ALREADY_HANDLED = "这个地点已经处理过了（或者那件需求已经不在了）。发 /places 查看最新的。"
EDIT_REFUSED = "没能保存：{reason}"
# Why, by the refused field (storage.gazetteer's InvalidInput); the limits are filled in.
EDIT_REFUSED_REASONS = {
    "aliases": "这个小区已经有 {aliases} 个别名，不能再加了。",
    "compound": "这个地点的写法超过 {name} 个字，不能作为小区名。",
}
EDIT_REFUSED_OTHER = "这个改动不能保存。"

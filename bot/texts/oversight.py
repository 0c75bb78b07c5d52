"""What admins (and staff, for /show) read in the work view (督办): one request's life, the
overdue and unclaimed lists, 督办 and 分派."""

from __future__ import annotations

SHOW_USAGE = "用法：<code>/show 编号</code>，例如 <code>/show 12</code>：一条需求的全部经过。"
SHOW_HEADER = "📂 <b>需求 #{number}</b> · {category}{urgent}"
SHOW_STATUS = "状态：{status}"
SHOW_HOLDER = "状态：{status}（{organisation}）"
SHOW_HELD_BEFORE = "处理过的组织：{organisations}"
SHOW_PLACE = "地点：{place}"
SHOW_TEXT = "居民的描述：{text}"
SHOW_MASKED = "（您的组织已不再处理这条需求：个人信息已遮挡）"
SHOW_CONTACT = "联系方式/补充：{contact}"
SHOW_FILES = "附件：照片 {photos} 张，位置 {locations} 个"
SHOW_SUPPORTERS = "反映的居民：{count} 人"
SHOW_DEADLINE = "{which}：{deadline}{overdue}"
SHOW_CLAIM_LIMIT = "认领时限"
SHOW_RESOLVE_LIMIT = "办结时限"
SHOW_OVERDUE = "（已超时）"
SHOW_COVERED = "服务范围覆盖它的组织：{organisations}"
SHOW_UNCOVERED = "⚠️ 没有任何组织的服务范围覆盖它：请 /assign {number} 组织名 分派"
SHOW_HISTORY = "\n<b>经过</b>"
SHOW_LINE = "{moment} {who}{what}{note}"
SHOW_MORE = "……（较早的 {count} 条省略）"

WHO = {"resident": "居民", "staff": "社工", "admin": "管理员", "system": "系统"}
# Each step of a request's life, as the work view names it.
EVENT_NAMES = {
    "submitted": "提交",
    "claimed": "认领",
    "note": "进展",
    "resolved": "办结",
    "released": "退回队列",
    "stale_released": "无进展，自动退回队列",
    "blacklist_released": "组织被列入黑名单，退回队列",
    "assigned": "分派",
    "reclassified": "改类别",
    "feedback": "确认已解决",
    "reopened": "反馈没解决，重新办理",
    "rated": "评分",
    "cancelled": "撤回",
    "supported": "「我也遇到了」",
    "merged": "合并到另一条需求",
    "merged_in": "并入了一条重复需求",
    "resident_note": "补充",
    "pushed": "催办",
    "asked": "提问",
    "answered": "回答",
    "withdrawn": "表示不再需要",
    "holder_left": "经办社工离开了组织",
    "feedback_reminded": "回访提醒",
    "feedback_expired": "未回访，结单",
    "urged": "督办",
    "extended": "延期",
    "undelivered": "消息没有送达居民",
    "status": "状态改为",
}

OVERDUE_HEADER = "⏰ <b>超时的需求</b>（共 {total} 条，第 {page}/{pages} 页）："
OVERDUE_EMPTY = "✅ 目前没有超时的需求。"
UNCLAIMED_HEADER = (
    "📭 <b>待认领的需求</b>（共 {total} 条，第 {page}/{pages} 页；没有组织覆盖的在前）："
)
UNCLAIMED_EMPTY = "✅ 目前没有待认领的需求。"
WATCH_ITEM = (
    "\n<b>#{number}</b>{urgent} {category} · {place} · {status}{holder}\n"
    "  「{excerpt}」\n  {deadline}{uncovered}"
)
WATCH_DEADLINE = "{which}：{deadline}{overdue}"
WATCH_UNCOVERED = "\n  ⚠️ 没有组织覆盖"
BTN_URGE = "⏰ 督办 #{number}"
BTN_ASSIGN = "📌 分派 #{number}"
URGE_STANDARD = "管理员督办：请尽快处理。"

URGE_USAGE = (
    "用法：<code>/urge 编号 说明</code>，例如 <code>/urge 12 居民已经等了一周，请今天联系</code>。"
    "说明会转给处理它的组织。"
)
URGED_HELD = "已督办需求 #{number}，已通知「{organisation}」的 {told} 位社工。"
URGED_OPEN = "已督办需求 #{number}：还没有组织认领，已提醒服务范围覆盖它的 {told} 位社工。"
URGED_NOBODY = (
    "已记下对需求 #{number} 的督办，但没有组织覆盖它：请用 /assign {number} 组织名 分派。"
)
ASSIGN_CHOOSE = "把需求 #{number} 分派给哪个组织？（服务范围覆盖它的在前）"
ASSIGN_NONE = "还没有可以分派的组织。请先用 /neworg 登记组织。"
ASSIGNED = "已把需求 #{number} 分派给「{organisation}」。"

# Notices.
UNCOVERED = (
    "⚠️ 新需求 <b>#{number}</b>{urgent}（{category}，{place}）没有任何组织的服务范围覆盖它。\n"
    "请用 /assign {number} 组织名 分派，或给合适的组织扩大服务范围；"
    "/unclaimed 查看全部待认领的需求。"
)
WAITING_FOR_ORGANISATION = (
    "ℹ️ 说明一下：您的需求 <b>#{number}</b> 目前还没有组织负责这一类事情，"
    "已经报告给社区，由社区安排合适的组织。有进展会在这里告诉您。"
)
STAFF_UNDELIVERED = (
    "⚠️ 需求 <b>#{number}</b>（{category}，{place}）的居民收不到机器人的消息"
    "（可能已屏蔽机器人或不再使用 Telegram）。请用需求里留下的联系方式联系居民；"
    "/show {number} 查看经过。"
)
# The weekly summary: an admin's 督办 per organisation.
URGED_COUNT = " 被督办{count}次"
URGED_HEADER = "本周被督办"
STAFF_URGED = "🔔 督办：需求 <b>#{number}</b>{urgent}（{category}，{place}）\n{note}"

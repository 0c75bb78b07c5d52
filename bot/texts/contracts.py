"""Strings for service contracts (政府购买服务项目): /contracts, /newcontract, and the contract
lines of /orgs.

HTML parse mode: names people or admins wrote go through `bot.texts.excerpt` first.
"""

from __future__ import annotations

from bot.texts.performance import RATES

# The figures a purchaser usually fixes (storage.contracts.KNOWN_TARGETS), as admins say them:
# the rates' names of the evaluation pack, so that a contract and its evaluation say the same.
TARGET_NAMES = RATES
# Offered by /newcontract's 使用常用目标 button.
DEFAULT_TARGETS = {"response_rate": 0.9, "on_time_rate": 0.85, "satisfaction_rate": 0.9}

STATUS = {
    "active": "执行中",
    "pending": "未开始",
    "expired": "已到期",
    "ended": "已提前终止",
}
NONE = "无"
SEP = "、"

# --- /contracts (admins) --------------------------------------------------------------------

LIST_EMPTY = "还没有服务合同。发送 /newcontract 录入一份。"
LIST_HEADER = "<b>服务合同</b>（共 {count} 份，第 {page}/{pages} 页；执行中的在前）："
ROW = (
    "<b>#{id} {organisation}</b> · {status}\n"
    "  购买方：{purchaser}\n"
    "  期限：{start} 至 {end}\n"
    "  类别：{categories}\n"
    "  社区：{communities}\n"
    "  目标：{targets}"
)
BTN_SHOW = "查看 #{id}"
BTN_END = "终止 #{id}"
BTN_BACK = "⬅️ 返回列表"
BTN_END_ONE = "⏹ 提前终止合同"

SHOW = (
    "<b>服务合同 #{id}</b>{title}\n"
    "状态：{status}\n"
    "承接组织：{organisation}{blacklisted}\n"
    "购买方：{purchaser}\n"
    "期限：{start} 至 {end}\n"
    "服务类别：{categories}\n"
    "服务社区：{communities}\n"
    "绩效目标：{targets}\n"
    "预算：{budget}\n"
    "录入时间：{created}"
    "{ended}"
)
SHOW_TITLE = "（{title}）"
SHOW_BLACKLISTED = " ⛔黑名单"
SHOW_ENDED = "\n终止时间：{at}{reason}"
SHOW_ENDED_REASON = "，原因：{reason}"
BUDGET = "{amount} 元"

END_CONFIRM = (
    "确定要提前终止合同 #{id}（{organisation}）吗？\n\n"
    "终止后，该组织不再收到这份合同范围内的新需求；已经认领的需求仍由它处理完。"
)
BTN_END_YES = "✅ 确认终止"
BTN_END_NO = "✖️ 不终止"
ENDED = "⏹ 合同 #{id}（{organisation}）已终止，从现在起不再派发新需求。"
END_KEPT = "好的，合同 #{id} 照常执行。"
ALREADY_ENDED = "合同 #{id} 已经结束了。"
NOT_FOUND = "没有编号为 {id} 的服务合同。发送 /contracts 查看全部合同。"
USAGE = "用法：/contracts 查看全部合同；/contracts 编号 查看一份，例如 /contracts 3"

# --- /newcontract (admins) ------------------------------------------------------------------

ASK_ORG = (
    "<b>录入服务合同</b>（随时可点「取消」）\n\n"
    "第 1 步：承接这份合同的是哪个组织？请点选，或发送组织名称/编号。"
)
ASK_ORG_MORE = "\n\n（组织较多，这里只列出前 {shown} 个。）"
NO_ORGS = "还没有可以承接合同的组织。请先发送 /neworg 新建组织。"
ORG_UNKNOWN = "没有找到组织「{name}」。请点选上面的按钮，或发送组织编号。"
ORG_BLACKLISTED = "「{organisation}」在黑名单中，不能签订新的服务合同。请选择其他组织。"
ORG_CHOSEN = "承接组织：{organisation} ✅"
ASK_PURCHASER = "第 2 步：购买方是谁？请发送名称，例如：玉林街道办事处"
PURCHASER_BAD = "购买方名称请写 1 到 {limit} 个字。"
ASK_CATEGORIES = (
    "第 3 步：合同包含哪些服务类别？点按钮选择（✅ 为已选），选好后点「完成」。\n\n已选：{chosen}"
)
CATEGORIES_CHOSEN = "服务类别：{chosen} ✅"
NOTHING_CHOSEN = "请至少选择一项。"
ASK_COMMUNITIES_BUTTONS = (
    "第 4 步：合同服务哪些社区？点按钮选择（✅ 为已选），选好后点「完成」；"
    "也可以直接发送社区名称，多个用顿号或逗号隔开。\n\n已选：{chosen}"
)
ASK_COMMUNITIES_TYPED = (
    "第 4 步：合同服务哪些社区？请发送社区名称，多个用顿号或逗号隔开，例如：玉林社区、芳草社区"
)
COMMUNITIES_MORE = "\n（社区较多，按钮只列出前 {shown} 个，其余请直接发送名称。）"
COMMUNITIES_UNKNOWN = "地名册里没有这些社区：{names}。{hint}请重新发送，或点按钮选择。"
COMMUNITIES_HINT = "您是不是要找：{names}？"
COMMUNITIES_BAD = "社区名称每个最多 {limit} 个字，请重新发送。"
COMMUNITIES_CHOSEN = "服务社区：{chosen} ✅"
ASK_START = "第 5 步：合同从哪天开始？例如：2027-01-01、2027/1/1 或 2027年1月1日"
ASK_END = "第 6 步：合同到哪天结束（含当天）？例如：2029-12-31"
DATE_BAD = "没看懂这个日期。请写成 2027-01-01、2027/1/1 或 2027年1月1日。"
END_BEFORE_START = "结束日期不能早于开始日期（{start}），请重新发送。"
DATE_CHOSEN = "{label}：{date} ✅"
START_LABEL = "开始日期"
END_LABEL = "结束日期"
ASK_TARGETS = (
    "第 7 步：购买方定的绩效目标是什么？请发送，例如：\n"
    "响应率 90%，按时办结率 85%，满意率 90%\n"
    "可用的指标：{names}；其他指标也可以写，会原样保存。\n"
    "也可以点「使用常用目标」（{defaults}）或「跳过」。"
)
TARGETS_BAD = "没看懂「{item}」。请写成「响应率 90%」这样，多项用逗号隔开。"
TARGETS_TOO_MANY = "绩效目标最多 {limit} 项，请删减后重新发送。"
TARGETS_CHOSEN = "绩效目标：{targets} ✅"
BTN_DEFAULT_TARGETS = "使用常用目标"
ASK_BUDGET = "第 8 步：合同预算多少元？例如：300000 或 30万。不填可以点「跳过」。"
BUDGET_BAD = "没看懂这个金额。请写成 300000 或 30万。"
CONFIRM = (
    "<b>请确认服务合同：</b>\n"
    "承接组织：{organisation}\n"
    "购买方：{purchaser}\n"
    "期限：{start} 至 {end}\n"
    "服务类别：{categories}\n"
    "服务社区：{communities}\n"
    "绩效目标：{targets}\n"
    "预算：{budget}"
    "{scope_note}"
)
CONFIRM_CLEARS_SCOPE = (
    "\n\n⚠️ 「{organisation}」目前的合同外范围是「全部类别、全部社区」。"
    "这是它的第一份合同，创建后它只接收合同范围内的需求（合同外范围改为「无」）；"
    "需要时可以用 /scope 重新设置。"
)
BTN_CREATE = "✅ 创建合同"
CREATED = "✅ 已创建服务合同 #{id}（{organisation}）。{when}\n发送 /contracts 查看全部合同。"
CREATED_ACTIVE = "合同范围内的新需求从现在起派给该组织。"
CREATED_PENDING = "合同从 {start} 起生效。"
CANCELLED = "已取消录入服务合同。"
PRESS_BUTTON = "请点上面消息里的按钮，或点「取消」。"

# --- /orgs and the refusals ------------------------------------------------------------------

ORG_ROW = (
    "<b>{id}. {name}</b>{blacklisted}\n"
    "  合同外范围：类别 {categories}；社区 {communities}\n"
    "  服务合同：{contracts}\n"
    "  社工 {staff} 人 · 处理中 {active} 条 · 联系：{contact}"
)
ORG_CONTRACT = "#{id} {categories} · {communities}（至 {end}）"
ORG_NO_CONTRACT = "无"
NO_CONTRACT_FOR_BLACKLISTED = "「{organisation}」在黑名单中，不能签订新的服务合同。"
UNKNOWN_COMMUNITIES = "地名册里没有这些社区：{names}。"
INVALID = {
    "category": "服务类别不对，请从按钮里选择。",
    "community": "社区名称不对，请重新填写。",
    "dates": "结束日期不能早于开始日期。",
    "purchaser": "购买方名称请写 1 到 100 个字。",
    "target": "绩效目标不对：比率请写 0 到 100% 之间。",
    "budget": "预算金额不对。",
    "title": "合同名称太长了。",
    "reason": "终止原因太长了。",
}

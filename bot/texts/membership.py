"""Strings for staff leaving an organisation (/removestaff, /leave) and editing its scope (/scope).

HTML parse mode: names people or admins wrote go through `bot.texts.excerpt` first.
"""

from __future__ import annotations

# --- /removestaff (admins) ------------------------------------------------------------------

REMOVE_PICK_ORG = "要移除哪个组织的社工？请选择组织（也可以直接发送：/removestaff 组织名称）。"
REMOVE_NO_STAFF_ANYWHERE = "目前还没有任何组织有社工。"
REMOVE_TOO_MANY_ORGS = "组织较多，这里只列出前 {shown} 个。其他组织请发送：/removestaff 组织名称"
REMOVE_PICK_PERSON = "「{organisation}」的社工如下，请选择要移除的人："
REMOVE_NO_STAFF = "「{organisation}」目前没有社工。"
REMOVE_CONFIRM = (
    "确定要把「{name}」移出「{organisation}」吗？\n\n"
    "移除后，对方将不再收到需求卡片和提醒，也不能再查看或处理需求。"
    "{holding}"
)
REMOVE_HOLDING = "\n对方正在跟进的 {count} 个需求会留在组织里，由组织的其他社工继续处理。"
BTN_REMOVE = "✅ 确认移除"
BTN_KEEP = "✖️ 取消"
REMOVED = "✅ 已把「{name}」移出「{organisation}」。{kept}"
KEPT = "对方跟进的需求 {numbers} 仍由「{organisation}」负责，组织的社工发送 /mine 可以查看。"
REMOVE_CANCELLED = "好的，没有移除任何人。"
NOT_A_MEMBER = "「{name}」已经不是「{organisation}」的社工了（可能刚被移除或已自行退出）。"
NOT_A_MEMBER_ID = (
    "这个人不是「{organisation}」的社工。发送 /removestaff {organisation} 查看社工名单。"
)

# --- /leave (staff) -------------------------------------------------------------------------

LEAVE_NOT_STAFF = "您目前不是任何组织的社工，不需要退出。"
LEAVE_CONFIRM = (
    "确定要退出「{organisation}」吗？\n\n"
    "退出后您将不再收到需求卡片和提醒，也不能再查看或处理需求；以后需要时可以向管理员要新的邀请码。"
    "{holding}"
)
LEAVE_HOLDING = "\n您正在跟进的 {count} 个需求会留在组织里，由组织的其他社工继续处理。"
BTN_LEAVE = "✅ 确认退出"
LEFT = "您已退出「{organisation}」，感谢您为邻里做的一切！🙏{kept}"
LEFT_KEPT = "\n您跟进的需求 {numbers} 已交还组织继续处理。"
LEAVE_CANCELLED = "好的，您仍是组织的社工，一切照旧。"

# --- /scope (admins) ------------------------------------------------------------------------

SCOPE_USAGE = (
    "用法：\n"
    "/scope 组织名称　查看服务范围，点按钮调整类别\n"
    "/scope 组织名称 类别 设施维修,养老助老　（或「类别 全部」）\n"
    "/scope 组织名称 社区 玉林社区,芳草社区　（或「社区 全部」）"
)
SCOPE_VIEW = (
    "<b>「{organisation}」的服务范围</b>\n"
    "类别：{categories}\n"
    "社区：{communities}\n\n"
    "点下面的类别可以添加或去掉（✅ 为已选）。\n"
    "修改社区请发送：/scope {ref} 社区 玉林社区,芳草社区（服务所有社区：/scope {ref} 社区 全部）"
)
SCOPE_SAVED = "✅ 已更新。\n\n"
SCOPE_LAST_CATEGORY = "至少要保留一个类别。要服务全部类别，请点「全部类别」。"
SCOPE_UNKNOWN_CATEGORY = "没有这个类别：{unknown}。\n可选的类别：{names}"
SCOPE_EMPTY = "请写上至少一个{what}，或者写「全部」。"
SCOPE_TOO_LONG = "社区名称太长了，请控制在 {limit} 字以内。"
CATEGORY_WORD = "类别"
COMMUNITY_WORD = "社区"
# Words an admin may type for "all" and for the two halves of the scope.
ALL_WORDS = frozenset({"全部", "所有", "all"})
CATEGORY_WORDS = frozenset({"类别", "类型", "分类", "categories", "category"})
COMMUNITY_WORDS = frozenset({"社区", "小区", "communities", "community"})

# To the person an admin took out of an organisation.
YOU_WERE_REMOVED = (
    "ℹ️ 管理员已把您移出「{organisation}」，您不再是这个组织的社工。"
    "您经手的需求留在组织里，由其他社工继续跟进。如有疑问，请联系管理员。"
)

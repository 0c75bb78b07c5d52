"""The words of asking for more time (/extend, the admins' 同意 / 不同意) and of releasing a
request with a reason from a short list (/release N and its buttons)."""

from __future__ import annotations

# --- /extend: staff ask for more time -------------------------------------------------------

EXTEND_USAGE = "请写上编号、需要延长的工作日天数（1–10）和理由，例如：/extend 1024 3 等待配件到货"
EXTEND_BAD_DAYS = "延长的天数请写 1 到 10 之间的数字（按工作日计算）。"
EXTEND_ASKED = "已向管理员申请把需求 #{number} 的办结时限延长 {days} 个工作日，审批结果会通知您。"
EXTEND_NO_ADMIN = "已记录您的申请，但目前没有设置管理员，暂时无人审批。"
EXTEND_WAITING = (
    "需求 #{number} 已有一条延长 {days} 个工作日的申请在等待管理员审批，请等审批结果出来后再申请。"
)

# To each admin: the ask, with 同意 / 不同意.
EXTENSION_ASKED = (
    "⏳ <b>延期申请</b>：需求 #{number}（{category}）\n"
    "申请组织：{organisation}\n"
    "延长：{days} 个工作日\n"
    "理由：{reason}\n"
    "现在的办结时限：{deadline}\n"
    "同意后的办结时限：{new_deadline}"
)
BTN_APPROVE = "✅ 同意"
BTN_REFUSE = "❌ 不同意"

# To the admin who pressed.
DECIDED_APPROVED = "✅ 已同意延长 {days} 个工作日，新的办结时限：{deadline}。已通知申请人。"
DECIDED_REFUSED = "已不同意这次延期，办结时限不变。已通知申请人。"
ALREADY_APPROVED = "这条延期申请已经同意过了，不用再处理。"
ALREADY_REFUSED = "这条延期申请已经处理过（未同意），不用再处理。"
NOT_HELD = "需求 #{number} 已不在{organisation}手中，这条延期申请不用再处理了。"

# To the staff member who asked.
EXTENSION_GRANTED = "✅ 管理员同意了需求 #{number} 延长 {days} 个工作日，新的办结时限：{deadline}。"
EXTENSION_REFUSED = (
    "管理员没有同意需求 #{number} 的延期申请，办结时限不变：{deadline}。"
    "确实无法办结的，可以用 /release {number} 退回队列。"
)

# --- /release N: a reason from a short list -------------------------------------------------

# The reasons, by storage.requests.extensions.ReleaseReason code, as the buttons say them.
RELEASE_REASONS = {
    "not_our_function": "不属于本组织职能",
    "out_of_scope": "不在服务范围",
    "no_resources": "资源不足",
    "other": "其他",
}
RELEASE_PICK = "请选择退回需求 #{number} 的原因："
RELEASE_OTHER = "请把原因写在命令后面发送，例如：/release {number} 居民要求换一家机构处理"
RELEASE_DONE = "已把需求 #{number} 退回待受理队列（原因：{reason}）。"

# The weekly summary: releases per organisation (text row, workbook column).
RELEASED = " 退回{count}"
RELEASED_HEADER = "本周退回"

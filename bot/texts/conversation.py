"""What the resident reads in conversation: answers to what is not a need, and the request's
thread (补充, 进度, 催办, 撤回, staff's questions) on both sides of the relay."""

from __future__ import annotations

# --- conversation: never a category question, nothing filed ---------------------------------

GREETING = (
    "您好！我是「邻里」社区服务助手 🙂\n"
    "有什么需要社区帮忙的，直接用一两句话告诉我就行，比如「3栋电梯坏了」「想给老人订助餐」。"
)
THANKS = "不客气！有需要随时告诉我 🙂"
GOODBYE = "好的，再见！有需要随时来找我。"
ABOUT_BOT = (
    "我是「邻里」社区服务助手，社区和为社区服务的社会组织一起在用，<b>不收任何费用</b>。\n"
    "• 直接打字说您的需求，我帮您分类、登记，交给负责的组织处理，进展会在这里告诉您；\n"
    "• 可以替家人报，写清楚是谁、住在哪里就行；\n"
    "• 我还听不懂语音，请打字，或用手机输入法的语音转文字；可以发照片和位置；\n"
    "• 发 /my 看您的需求和进度，/help 看全部用法。"
)
PRIVACY = (
    "您的信息只用来办您的事：\n"
    "• 负责处理的组织<b>认领后</b>，才看得到您的原话、电话和照片；认领前别人看到的都打了码；\n"
    "• 工作人员和您之间的消息由我转达，双方都看不到对方的 Telegram 账号和电话；\n"
    "• 我们不会出售或公开您的信息。\n"
    "发 /mydata 查看保存的关于您的全部信息，发 /forgetme 可以删除。"
)
ABUSE = (
    "让您着急了，真对不起。我会尽力帮忙：如果有事还没解决，请直接告诉我是什么事；"
    "想看进度或催一催，发 /my 就行。"
)
CHITCHAT = "哈哈，我只是个社区服务助手，聊天不太在行 🙂 有需要社区帮忙的事，直接告诉我就好。"
NOISE = "收到～想提交需求的话，用一句话说说是什么事就行，比如「楼道灯坏了」。"
DRAFT_WAITING = "（您刚才的需求还没提交，接着上面的步骤继续就行。）"

# --- the request's thread, the resident's side ----------------------------------------------

ADDED_TOLD = "已补充到您的需求 #{number}，并转告了正在处理的工作人员。"
ADDED_WAITING = "已补充到您的需求 #{number}。组织认领后，工作人员会看到。"
ADD_PROMPT = "请直接发送要补充到需求 #{number} 的文字、照片或位置。"
ADD_WHILE_FILING = "您正在填写一条新需求。请先把它提交（或发送 /cancel 取消），再来补充。"
NEW_OR_ADD = "这是一件新的事情，还是补充到您之前的需求 #{number}（{category}）？\n\n「{excerpt}」"
BTN_NEW_NEED = "🆕 这是新的需求"
BTN_ADD_TO = "➕ 补充到 #{number}"
WHICH_REQUEST = "您说的是哪一个需求？"
BTN_REQUEST = "#{number} {category}"
NO_ACTIVE_REQUEST = (
    "您现在没有正在办理的需求。有新的事情，直接告诉我就好；发 /my 可以看以前的需求。"
)
CHOICE_EXPIRED = "这个选择已经过期了。请重新发一次您想说的话。"
PHOTO_NEW_NEED = "好的，照片先保存好。请用文字说说是什么事，例如「楼道里堆满了杂物」。"

PUSHED_HELD = (
    "已为您催办需求 #{number}，已通知正在处理的{organisation}。\n按规定应在 {deadline}办结。"
)
PUSHED_HELD_OVERDUE = (
    "已为您催办需求 #{number}。它已超过办理时限（{deadline}），已通知{organisation}尽快处理。"
)
PUSHED_OPEN = (
    "已为您催办需求 #{number}，已提醒负责的组织尽快认领。\n按规定应在 {deadline}有人认领。"
)
PUSHED_OPEN_OVERDUE = (
    "已为您催办需求 #{number}。它已超过认领时限（{deadline}），已提醒负责的组织尽快认领。"
)
PUSHED_NOBODY = "已记下您的催办（需求 #{number}）。目前还没有组织负责这一类事情，社区会尽快安排。"
PUSH_REPEATED = "您刚刚催办过需求 #{number}，工作人员已经收到了，请再耐心等一等。"

WITHDRAW_CONFIRM = "确定要撤回需求 #{number}（{category}）吗？"
WITHDRAW_CONFIRM_HELD = (
    "需求 #{number}（{category}）已经由{organisation}在处理。确定不需要了吗？我会告诉工作人员。"
)
BTN_WITHDRAW_YES = "✅ 确定撤回"
BTN_WITHDRAW_NO = "↩️ 不撤回"
WITHDRAWN_OPEN = "需求 #{number} 已撤回。有新的需要随时告诉我。"
WITHDRAWN_HELD = "已告诉{organisation}：您不再需要需求 #{number}，工作人员确认后会结单。"
WITHDRAWN_ALREADY = "已经告诉过{organisation}您不再需要需求 #{number} 了，工作人员确认后会结单。"
WITHDRAW_KEPT = "好的，需求 #{number} 继续办理。"
ANSWER_RELAYED = "已把您的回答转给工作人员（需求 #{number}）。"
ANSWER_NOBODY = "已记下您的回答（需求 #{number}）。"
NOT_YOUR_REQUEST = "没有找到您的需求 #{number}。发 /my 可以看您的全部需求。"
CLOSED_REQUEST = (
    "需求 #{number} 当前状态是「{status}」，不能再补充、催办或撤回了。有新的事情，直接告诉我就好。"
)
MY_USAGE = "发 /my 看您的全部需求，发 /my 编号 看一条需求的详情，例如 /my 12"

# --- /my N ------------------------------------------------------------------------------------

DETAIL_HEADER = "📋 <b>需求 #{number}</b> · {category}"
DETAIL_STATUS = "状态：{status}"
DETAIL_HOLDER = "状态：{status}（{organisation}）"
DETAIL_PLACE = "地点：{place}"
DETAIL_TEXT = "您的描述：{text}"
DETAIL_FILES = "附件：照片 {photos} 张，位置 {locations} 个"
DETAIL_CLAIM_DUE = "认领时限：{deadline}"
DETAIL_RESOLVE_DUE = "办结时限：{deadline}"
DETAIL_OVERDUE = "（已超时，可以催办）"
DETAIL_MERGED = "这条需求和邻居反映的同一件事合并了，请看需求 #{number}。"
DETAIL_HISTORY = "\n<b>经过</b>"
DETAIL_LINE = "{moment} {what}"
DETAIL_MORE_LINES = "……（较早的 {count} 条省略）"
BTN_ADD = "➕ 补充"
BTN_WITHDRAW = "↩️ 撤回"
BTN_PUSH = "⏰ 催办"

# What each step of the thread reads as, in /my N.
ENTRY_SUBMITTED = "提交"
ENTRY_CLAIMED = "{organisation}认领"
ENTRY_ASSIGNED = "转给{organisation}处理"
ENTRY_NOTE = "工作人员：{note}"
ENTRY_RESIDENT_NOTE = "您补充：{note}"
ENTRY_RESIDENT_FILE = "您补充了照片或位置"
ENTRY_ASKED = "工作人员问：{note}"
ENTRY_ANSWERED = "您回答：{note}"
ENTRY_PUSHED = "您催办"
ENTRY_WITHDRAWN = "您表示不再需要"
ENTRY_RESOLVED = "办结：{note}"
ENTRY_REOPENED = "您反馈没解决，重新办理"
ENTRY_REQUEUED = "重新排队，等待认领"
ENTRY_FEEDBACK = "您确认已解决"
ENTRY_RATED = "您评价 {note} 星"
ENTRY_MERGED = "与同一件事合并"
ENTRY_CANCELLED = "您撤回"
ENTRY_FEEDBACK_EXPIRED = "未回访，已结单"
ENTRY_STATUS = "状态改为：{status}"

MOMENT = "{month}月{day}日 {hour:02d}:{minute:02d}"

# --- notices: to the resident ---------------------------------------------------------------

QUESTION = (
    "❓ 关于您的需求 #{number}，{organisation}的工作人员想问您：\n{question}\n\n"
    "直接回复这条消息，或直接发文字、照片，就能回答。"
)

FEEDBACK_REMINDER = (
    "🔔 您的需求 <b>#{number}</b> 前几天已经办结了。问题解决了吗？"
    "点下面的按钮告诉我们，也欢迎给这次服务打个分。"
)
FEEDBACK_CLOSED = (
    "需求 <b>#{number}</b> 办结后一直没有收到您的回访，已按「未回访」结单。"
    "如果问题还在，直接告诉我就行，我会重新登记。"
)
FEEDBACK_CLOSED_REFUSAL = (
    "这条需求已按「未回访」结单，不能再评价了。如果问题还在，直接告诉我，我会重新登记。"
)

# --- notices: to staff ------------------------------------------------------------------------

STAFF_RESIDENT_NOTE = "📎 居民补充了需求 #{number}（{category}，{place}）：\n{note}"
STAFF_NOTE_FILES = "（附了{what}，见下一条）"
STAFF_RESIDENT_FILES = "📎 居民为需求 #{number}（{category}，{place}）补充了{what}，见下一条。"
STAFF_PUSHED = "⏰ 居民催办需求 #{number}{urgent}（{category}，{place}），这是第 {pushes} 次。{due}"
STAFF_PUSHED_DUE = "时限：{deadline}。"
STAFF_PUSHED_OVERDUE = "已超过时限（{deadline}）。"
STAFF_ANSWER = "💬 居民回答了您关于需求 #{number} 的问题。\n问：{question}\n答：{answer}"
STAFF_ANSWER_FILES = "（回答附了{what}，见下一条）"
STAFF_WITHDRAWN = (
    "↩️ 居民表示不再需要需求 #{number}（{category}，{place}）。{note}"
    "请和居民确认后用 /done {number} 说明 结单。"
)
STAFF_WITHDRAWN_NOTE = "原话：{note}\n"
STAFF_ATTACHMENT_PHOTO = "📷 需求 #{number} 的照片{by}"
STAFF_ATTACHMENT_LOCATION = "📍 需求 #{number} 的位置{by}（见下一条）"
BY_RESIDENT = "（居民发送）"
BY_STAFF = "（工作人员发送）"
PHOTOS = "{count} 张照片"
LOCATIONS = "{count} 个位置"
AND = "和"

"""Strings for organisation staff, admins, the resident's feedback and every notification.

HTML parse mode: anything a resident, staff member or admin wrote is passed through
`bot.texts.excerpt` or `html.escape` before it is put into one of these templates.
"""

from __future__ import annotations

# --- refusals shared by staff and admin commands --------------------------------------------

NOT_STAFF = (
    "这个命令是给社区组织的社工用的。\n如果您是社工，请向管理员要一个邀请码，然后发送：/join 邀请码"
)
NOT_ADMIN = "抱歉，这个命令只有管理员可以使用。"
BLACKLISTED = (
    "您所在的组织「{organisation}」已被暂停接单，暂时不能查看或认领需求。如有疑问请联系管理员。"
)
OUT_OF_SCOPE = "需求 #{number} 不在您组织的服务范围内（类别或社区不符），不能认领。"
ALREADY_CLAIMED = "来晚了一步：需求 #{number} 已由「{organisation}」认领。"
ALREADY_CLAIMED_BY_US = "需求 #{number} 已经由你们组织认领了，发送 /mine 查看。"
NOT_YOURS = "需求 #{number} 不是你们组织正在处理的需求。发送 /mine 查看你们的需求。"
NOT_CLAIMED_YET = "需求 #{number} 还没有被认领。请先 /claim {number} 认领。"
WRONG_STATE = "需求 #{number} 当前状态是「{status}」，不能进行这个操作。"
REQUEST_NOT_FOUND = "没有找到需求 #{number}。"
ORG_NOT_FOUND = "没有找到组织「{name}」。发送 /orgs 查看所有组织的名称和编号。"
BAD_NUMBER = "编号应该是一个正整数，例如 1024。"
TEXT_TOO_LONG = "内容太长了，请控制在 {limit} 字以内。"
TEXT_EMPTY = "内容不能为空。"

# --- staff: joining -------------------------------------------------------------------------

JOIN_USAGE = "请写上管理员给您的邀请码，例如：/join AbC123xYz"
JOINED = (
    "欢迎加入「{organisation}」！🎉\n\n"
    "新需求会以卡片推送给您，点「认领」即可接单。常用命令：\n"
    "/queue 待受理的需求\n"
    "/mine 我们组织正在处理的需求\n"
    "/claim 编号 认领需求\n"
    "/note 编号 进展 向居民反馈进展\n"
    "/ask 编号 问题 向居民提问（回答会转给您）\n"
    "/files 编号 查看居民发来的照片和位置\n"
    "/done 编号 处理结果 办结（带完工照片：发照片，说明写 /done 编号 处理结果）\n"
    "/release 编号 原因 退回队列\n"
    "/reclassify 编号 类别 改正类别（帮助改进自动分类）\n"
    "/notify 设置推送方式（即时 / 每日汇总 / 关闭）"
)
ALREADY_MEMBER = "您已经是「{organisation}」的成员了，一个人只能加入一个组织。"
INVITE_UNKNOWN = "这个邀请码不存在，请核对后重试（注意大小写）。"
INVITE_EXPIRED = "这个邀请码已经过期了（有效期 7 天），请向管理员要一个新的。"
INVITE_USED = "这个邀请码已经被使用过了（每个邀请码只能用一次），请向管理员要一个新的。"

# --- staff: queue ---------------------------------------------------------------------------

QUEUE_EMPTY = "目前没有待受理的需求 👍"
QUEUE_HEADER = "<b>待受理需求</b>（共 {total} 条，第 {page}/{pages} 页）\n"
QUEUE_ITEM = "<b>#{number}</b> {urgent}{category} · {place} · {age}{supporters}\n「{excerpt}」"
URGENT_MARK = "🔴紧急 "
BTN_CLAIM = "✋ 认领 #{number}"
BTN_CLAIM_CARD = "✋ 认领"
BTN_PREV = "⬅️ 上一页"
BTN_NEXT = "下一页 ➡️"
BTN_OPEN_QUEUE = "📋 查看待受理需求"
NO_PLACE = "未填地点"
AGE_MINUTES = "{n}分钟前"
AGE_HOURS = "{n}小时前"
AGE_DAYS = "{n}天前"

# --- staff: claimed request and the organisation's list -------------------------------------

CLAIM_USAGE = "请写上需求编号，例如：/claim 1024"
CLAIMED = (
    "✅ 已认领需求 <b>#{number}</b>（{category}）\n\n"
    "<b>内容</b>：{text}\n"
    "<b>地点</b>：{place}\n"
    "<b>联系方式/补充</b>：{contact}\n"
    "<b>办结时限</b>：{deadline}\n\n"
    "有进展请发 /note {number} 进展，办好后发 /done {number} 处理结果；"
    "处理不了请发 /release {number} 原因。"
)
CLAIM_TOAST = "已认领 #{number}"
MINE_EMPTY = "你们组织目前没有正在处理的需求。发送 /queue 查看待受理的需求。"
MINE_HEADER = "<b>{organisation}</b> 正在处理的需求（共 {total} 条，第 {page}/{pages} 页）：\n"
MINE_ITEM = (
    "<b>#{number}</b> {urgent}{category} · {status} · {place}\n"
    "「{text}」\n联系方式/补充：{contact}\n办结时限：{deadline}{overdue}\n"
    "如 {release}仍无进展，将自动退回队列"
)
OVERDUE_MARK = " ⚠️已逾期"
NONE = "未填写"

DONE_USAGE = "请写上编号和处理结果，例如：/done 1024 已更换楼道灯泡"
DONE_OK = "✅ 需求 #{number} 已办结，我们会请居民确认并评价。"
RELEASE_USAGE = (
    "请写上编号，例如：/release 1024，再选择退回原因；"
    "也可以直接写上原因：/release 1024 超出我们的服务能力"
)
RELEASE_OK = "已把需求 #{number} 退回待受理队列。"
NOTE_USAGE = "请写上编号和进展，例如：/note 1024 已联系物业，明天上午上门维修"
NOTE_OK = "📝 进展已记录（需求 #{number}），正在发给居民；如果送不到，我会告诉您。"

# --- staff: notification mode ---------------------------------------------------------------

NOTIFY_MODES = {"immediate": "即时推送", "digest": "每日汇总", "off": "关闭推送"}
NOTIFY_ALIASES = {
    "immediate": "immediate",
    "即时": "immediate",
    "即时推送": "immediate",
    "digest": "digest",
    "每日": "digest",
    "每日汇总": "digest",
    "汇总": "digest",
    "off": "off",
    "关闭": "off",
    "关闭推送": "off",
}
NOTIFY_CURRENT = (
    "现在的推送方式：<b>{mode}</b>\n\n"
    "即时推送：有新需求马上发卡片给您\n"
    "每日汇总：每天早上发一条汇总\n"
    "关闭推送：不主动发，您自己用 /queue 查看\n\n"
    "请选择："
)
NOTIFY_SET = "好的，推送方式已改为：<b>{mode}</b>。"
NOTIFY_USAGE = "推送方式可以是：即时、每日、关闭。例如：/notify 每日"

# --- notifications to staff -----------------------------------------------------------------

CARD = "🆕 新需求 <b>#{number}</b> {urgent}\n{category} · {place}\n「{excerpt}」"
CARD_TAKEN = "\n\n✅ 已由「{organisation}」认领"
CARD_CLOSED = "\n\n此需求已不在待受理队列（{status}）"
STAFF_ASSIGNED = (
    "📥 管理员把需求 <b>#{number}</b>（{category}）分派给了你们组织。\n发送 /mine 查看详情。"
)
STAFF_ASSIGNED_AWAY = "ℹ️ 管理员把需求 #{number} 改派给了「{organisation}」，你们不用再处理了。"
STAFF_REOPENED = "↩️ 居民反馈需求 #{number} 没有解决，需求已重新进入待受理队列。"
STAFF_STALE_RELEASED = "⏰ 需求 #{number} 已有 {days} 个工作日没有进展记录，已自动退回待受理队列。"
STAFF_BLACKLISTED = (
    "⚠️ 您所在的组织「{organisation}」已被管理员暂停接单。\n原因：{reason}\n"
    "你们正在处理的需求已退回队列。如有疑问请联系管理员。"
)
STAFF_UNBLACKLISTED = "✅ 您所在的组织「{organisation}」已恢复接单。"
REMIND_CLAIM = (
    "⏰ 催办：需求 <b>#{number}</b>（{urgent}{category} · {place}）还没有组织认领，"
    "请在 {deadline}认领。"
)
REMIND_RESOLVE = "⏰ 催办：你们认领的需求 <b>#{number}</b>（{category}）请在 {deadline}办结。"
REMIND_STALE = (
    "⏰ 催办：需求 <b>#{number}</b>（{category}）快 {days} 个工作日没有进展记录了。"
    "如果 {deadline}还没有进展，它会自动退回待受理队列。\n"
    "有进展请发 /note {number} 进展。"
)
OVERDUE_CLAIM = (
    "⚠️ 逾期未认领：需求 <b>#{number}</b>（{urgent}{category} · {place}）"
    "超过认领时限（{deadline}），仍没有组织认领。"
)
OVERDUE_RESOLVE = (
    "⚠️ 逾期未办结：需求 <b>#{number}</b>（{category}）由「{organisation}」认领，"
    "已超过办结时限（{deadline}）。"
)
DIGEST = "📋 <b>每日汇总</b>：目前有 {count} 条待受理需求在您组织的服务范围内。\n\n{lines}"
DIGEST_LINE = "#{number} {urgent}{category} · {place}"
DIGEST_MORE = "……还有 {n} 条"

# --- notifications to the resident and their buttons ----------------------------------------

RESIDENT_CLAIMED = "📌 您的需求 <b>#{number}</b> 已由「{organisation}」签收，他们会尽快处理。"
RESIDENT_NOTE = "📝 您的需求 <b>#{number}</b> 有新进展（{organisation}）：\n{note}"
RESIDENT_RESOLVED = (
    "✅ 您的需求 <b>#{number}</b> 已办结（{organisation}）：\n{note}\n\n"
    "请告诉我们：问题解决了吗？也欢迎给这次服务打个分（1～5 星）。"
)
RESIDENT_REQUEUED = "ℹ️ 您的需求 <b>#{number}</b> 已重新进入待受理队列，我们会尽快安排社区组织跟进。"
# To residents who said 我也遇到了 or whose own request was merged into this one: the status
# only (a progress note masked), never the feedback prompt, which is for the filer.
SUPPORTER_CLAIMED = (
    "📌 您也反映过的问题 <b>#{number}</b> 已由「{organisation}」签收，他们会尽快处理。"
)
SUPPORTER_NOTE = "📝 您也反映过的问题 <b>#{number}</b> 有新进展（{organisation}）：\n{note}"
SUPPORTER_RESOLVED = (
    "✅ 您也反映过的问题 <b>#{number}</b> 已由「{organisation}」办结。谢谢您的反映！"
)
SUPPORTER_REQUEUED = (
    "ℹ️ 您也反映过的问题 <b>#{number}</b> 已重新进入待受理队列，我们会尽快安排跟进。"
)
BTN_SOLVED = "✅ 解决了"
BTN_NOT_SOLVED = "❌ 没解决"
BTN_STARS = "{n}⭐"
FEEDBACK_SOLVED = "谢谢您的确认！很高兴问题解决了。"
FEEDBACK_REOPENED = "抱歉没能解决！需求 #{number} 已重新打开，我们会尽快安排跟进。"
FEEDBACK_RATED = "谢谢您的评分：{stars}"
FEEDBACK_ALREADY_RATED = "您已经评过分了，谢谢！"
FEEDBACK_ALREADY_ANSWERED = "您已经反馈过了，谢谢！"
FEEDBACK_NOT_NOW = "这条需求现在不需要反馈。"
FEEDBACK_NOT_YOURS = "这个按钮不是给您的。"
BUTTON_EXPIRED = "这个按钮已失效。"

# --- admin: organisations -------------------------------------------------------------------

NEWORG_ASK_NAME = (
    "新建组织。请输入组织名称（例如：玉林社区社工服务中心），发送 /cancel 可随时取消。"
)
NEWORG_NAME_BAD = "名称需要 1～100 个字，请重新输入。"
NEWORG_NAME_TAKEN = "已经有叫「{name}」的组织了，请换一个名称。"
NEWORG_ASK_CATEGORIES = (
    "组织名称：<b>{name}</b>\n\n请点选它负责的服务类别（可多选，再点一次取消），选好后点「完成」。"
    "\n已选：{chosen}"
)
NEWORG_NOTHING_CHOSEN = "请至少选一个类别，或点「全部类别」。"
BTN_ALL_CATEGORIES = "🌐 全部类别"
BTN_DONE = "✅ 完成"
NEWORG_ASK_COMMUNITIES = (
    "请输入它服务的社区，多个社区用逗号或空格分开（例如：玉林社区，芳草社区）；"
    "服务所有社区请点「全部社区」。"
)
BTN_ALL_COMMUNITIES = "🌐 全部社区"
NEWORG_ASK_CONTACT = "请输入联系人和电话（例如：李老师 028-12345678），不需要就点「跳过」。"
BTN_SKIP = "➡️ 跳过"
NEWORG_CONFIRM = (
    "请确认新组织：\n\n<b>名称</b>：{name}\n<b>类别</b>：{categories}\n"
    "<b>社区</b>：{communities}\n<b>联系方式</b>：{contact}"
)
NEWORG_NAME_LABEL = "名称："  # the name's line in NEWORG_CONFIRM, as the admin sees it
BTN_CREATE = "✅ 创建"
BTN_CANCEL = "✖️ 取消"
NEWORG_CREATED = "✅ 已创建组织「{name}」（编号 {id}）。发送 /invite {id} 生成社工邀请码。"
NEWORG_CANCELLED = "已取消新建组织。"
NEWORG_ALREADY_CREATED = "已创建组织「{name}」。"
NEWORG_PRESS_BUTTON = "请点上面消息里的按钮，或发送 /cancel 取消。"
ALL = "全部"

ORGS_EMPTY = "还没有组织。发送 /neworg 新建一个。"
ORGS_HEADER = "<b>组织列表</b>（共 {count} 个，第 {page}/{pages} 页）：\n"
SCOPE_MORE = "等 {n} 个"
ORG_BLACKLISTED_MARK = " ⛔黑名单（{reason}，{date}）"

INVITE_USAGE = "请写上组织名称或编号，例如：/invite 3"
INVITE_CREATED = (
    "已为「{organisation}」生成邀请码（{days} 天内有效，只能用一次）。\n"
    "请把下面这一行转发给社工：\n\n<code>/join {code}</code>"
)
BLACKLIST_USAGE = (
    "请写上组织名称或编号和原因，例如：/blacklist 3 多次逾期未处理\n"
    "名称里有空格时可以加「」，例如：/blacklist 「玉林 社工站」 多次逾期未处理"
)
BLACKLIST_OK = "⛔ 已将「{organisation}」列入黑名单。{released}"
BLACKLIST_RELEASED = "退回队列的需求：{numbers}。"
BLACKLIST_NONE_RELEASED = "它没有正在处理的需求。"
ALREADY_BLACKLISTED = "「{organisation}」已经在黑名单中了。"
UNBLACKLIST_USAGE = "请写上组织名称或编号，例如：/unblacklist 3"
UNBLACKLIST_OK = "✅ 已恢复「{organisation}」，它可以重新认领需求了。"
NOT_BLACKLISTED = "「{organisation}」不在黑名单中。"

# --- admin: requests ------------------------------------------------------------------------

RECLASSIFY_USAGE = "请写上编号和新类别，例如：/reclassify 1024 repairs\n类别代码：{codes}"
UNKNOWN_CATEGORY = "没有这个类别。可用的类别代码：{codes}"
SAME_CATEGORY = "需求 #{number} 已经是这个类别了。"
RECLASSIFIED = "已把需求 #{number} 的类别从「{old}」改为「{new}」，并记录为分类纠正。"
ASSIGN_USAGE = "请写上编号和组织名称或编号，例如：/assign 1024 3"
ASSIGNED = "已把需求 #{number} 分派给「{organisation}」。"

# --- the request's thread (/ask, /files, 完工照片) -------------------------------------------

ASK_USAGE = (
    "用法：<code>/ask 编号 问题</code>，例如 <code>/ask 12 请问您明天下午在家吗？</code>\n"
    "问题会转给居民，居民的回答会转回给您。"
)
ASK_OK = "问题已转给需求 #{number} 的居民，他们的回答会发给您。"
FILES_USAGE = "用法：<code>/files 编号</code>，查看您组织正在处理的需求的照片和位置。"
FILES_SENT = "需求 #{number} 的 {count} 个附件随后发来。"
FILES_NONE = "需求 #{number} 没有照片或位置。"
RESIDENT_GONE = "需求 #{number} 的居民已删除了个人信息，无法再联系。"
DONE_PHOTO_USAGE = (
    "带完工照片结单：发一张照片，说明里写 <code>/done 编号 做了什么</code>，"
    "例如 <code>/done 12 换了控制板</code>。"
)
BTN_FILES = "📷 #{number} 的照片和位置"
ADDITIONS = "居民补充：{notes}"
ADDITIONS_MORE = "（另有 {count} 条较早的补充）"
ATTACHMENT_COUNT = "附件：{what}"
ATTACHMENTS_AFTER_CLAIM = "（认领后可以看到照片和位置）"

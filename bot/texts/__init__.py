"""Every string a user reads, in Simplified Chinese (HTML parse mode: escape what users wrote).

Common and resident strings live here; each role adds its own module beside this one
(`bot.texts.staff`, `bot.texts.summary`), so that all user-facing text stays in this package.
"""

from __future__ import annotations

from html import escape

BTN_NEW = "📝 提交需求"
BTN_MY = "📋 我的需求"
BTN_HELP = "❓ 帮助"

WELCOME = (
    "您好，{name}！这里是「邻里」社区服务助手 🏘\n\n"
    "家里或小区遇到困难、有什么需要，直接在这里用文字告诉我就行，比如：\n"
    "「3栋电梯又坏了」「想给老人申请助餐」「楼上半夜太吵」\n\n"
    "我会帮您分好类、登记下来，交给负责的社区组织处理，进展会在这里通知您。\n"
    "下面的按钮可以随时使用。"
)

HELP = (
    "<b>怎么使用「邻里」</b>\n"
    "1. 直接发文字描述您的需求（繁体、四川话都可以）。\n"
    "2. 确认类别，告诉我社区和楼栋，可以附照片或位置。\n"
    "3. 点「提交」，您会收到一个编号，例如 #1024。\n\n"
    "提交以后，想补充情况、问进度、催一催或者不需要了，直接跟我说就行，"
    "比如「补充一下是3栋2单元」「有人接单没有」「怎么还没人来」「不用了，已经修好了」；"
    "工作人员有问题问您时，直接回复即可。\n\n"
    "常用命令：\n"
    "/my 查看我的需求\n"
    "/my 编号 查看一条需求的进展，例如 /my 1024（也可以只发 #1024）\n"
    "/cancel 取消正在填写的需求\n"
    "/cancel 编号 撤回一条还没人受理的需求，例如 /cancel 1024\n"
    "/help 查看本说明\n\n"
    "点「📝 提交需求」会取消还没填完的需求，重新开始填写一条。"
)

DRAFT_DISCARDED = "好的，之前没填完的那条需求已经取消了。"
START_DISCARDED = "\n\n（之前没填完的那条需求已经取消了，有需要可以重新告诉我。）"
DRAFT_EXPIRED = "之前那条需求超过 {hours} 小时没有填完，已自动取消；您刚发的内容会当作一条新需求。"
ASK_DESCRIBE = "请直接用文字描述您遇到的问题或需要的帮助，例如「2栋楼道灯坏了一个星期」。"
EMPTY_TEXT = "没有看到文字内容哦。请用文字描述您的需求，例如「小区垃圾好几天没人收」。"

GUESS_CONFIDENT = "我理解您的需求属于：<b>{category}</b>\n\n「{excerpt}」\n\n对吗？"
GUESS_UNSURE = "我不太确定您的需求属于哪一类，请选一个最接近的：\n\n「{excerpt}」"
BTN_CONFIRM_GUESS = "✅ 确认：{category}"
BTN_OTHER_CATEGORY = "🔄 选择其他类别"
BTN_MORE_CATEGORIES = "🔄 其他类别…"
PICK_CATEGORY = "请选择最符合您需求的类别：\n\n「{excerpt}」"
BTN_BACK = "↩️ 返回"
CATEGORY_CHOSEN = "类别：<b>{category}</b> ✅\n\n「{excerpt}」"
TEXT_REPLACED = "好的，已按您的新描述重新判断。"

ASK_COMMUNITY = "请告诉我您所在的<b>社区或小区</b>和<b>楼栋</b>，例如：玉林社区 3栋2单元"
BTN_USE_LAST = "📍 用上次的：{place}"
ASK_COMMUNITY_IN_WORDS = (
    "还需要用文字告诉我您所在的<b>社区或小区</b>和<b>楼栋</b>，"
    "这样才能交给负责的社区，例如：玉林社区 3栋2单元"
)
COMMUNITY_TOO_LONG = "地址有点长，请简短一些（100字以内），例如：玉林社区 3栋2单元"

ASK_EXTRAS = (
    "如果需要，可以再补充（都不是必须的）：\n"
    "📷 发一张照片\n📍 发送位置\n☎️ 直接输入联系电话或补充说明\n\n"
    "不需要就点「跳过」。"
)
BTN_SKIP = "➡️ 跳过"
BTN_NEXT = "➡️ 下一步"
PHOTO_RECEIVED = "📷 照片已收到。还可以补充位置或联系电话，好了就点「下一步」。"
LOCATION_RECEIVED = "📍 位置已收到。还可以补充照片或联系电话，好了就点「下一步」。"
CONTACT_RECEIVED = "☎️ 已记下。还可以补充照片或位置，好了就点「下一步」。"
# An attachment sent before its step: kept, then the current step is shown again.
PHOTO_KEPT = "📷 照片已收到，会附在这条需求里。"
LOCATION_KEPT = "📍 位置已收到，会附在这条需求里。"
CONTACT_KEPT = "☎️ 已记下您的电话。"

CONFIRM = (
    "请核对您的需求：\n\n"
    "<b>类别</b>：{category}\n"
    "<b>内容</b>：{text}\n"
    "<b>地点</b>：{place}\n"
    "<b>照片</b>：{photo}\n"
    "<b>位置</b>：{location}\n"
    "<b>联系方式/补充</b>：{contact}\n\n"
    "确认无误请点「提交」。"
)
BTN_SUBMIT = "✅ 提交"
BTN_CHANGE_CATEGORY = "✏️ 修改类别"
BTN_CANCEL = "✖️ 取消"
PRESS_A_BUTTON = "请点上面消息里的按钮「提交」，或发送 /cancel 取消。"
YES = "有"
NO = "无"
NONE = "未填写"

SUBMITTED = (
    "✅ 已提交！您的需求编号是 <b>#{number}</b>。\n"
    "我们会尽快交给负责的社区组织，处理进展会在这里通知您。发送 /my 可以随时查看。"
)
URGENT_NOTE = (
    "\n\n⚠️ 您描述的情况可能有危险。如有紧急危险，请立即拨打 "
    "119（火警）、120（急救）或 110（报警）。"
)
URGENT_NOTE_SELF_HARM = (
    "\n\n💛 听起来您现在很难受。您不是一个人：可以随时拨打心理援助热线 12356，"
    "如有生命危险请立即拨打 120 或 110。社区工作人员也会尽快联系您。"
)
ALREADY_SUBMITTED = "这条需求已经提交过了，不会重复登记。发送 /my 查看。"
BUTTON_EXPIRED = "这个按钮已过期，请看最新的消息。"
NO_DRAFT = "这个按钮已失效。请直接发文字描述您的需求。"
DRAFT_CANCELLED = "已取消正在填写的需求。有需要随时发文字给我。"
NO_DRAFT_TO_CANCEL = "现在没有正在填写的需求。有需要直接发文字给我就行。"
PHOTO_WITHOUT_DRAFT = (
    "收到图片了。请先用文字说明遇到了什么问题，之后我会请您补充照片；"
    "也可以重新发这张图片，在图片下面写上说明。"
)
LOCATION_WITHOUT_DRAFT = "收到位置了。请先用文字说明遇到了什么问题，之后我会请您补充位置。"

MY_EMPTY = "您还没有提交过需求。直接发文字描述需要的帮助就可以了。"
MY_HEADER = "<b>您的需求</b>（最近 {count} 条）："
MY_ROW = "<b>#{number}</b> {category} · {status} · {date}\n  {excerpt}"
MY_FOOTER = "\n发 /my 编号（或只发 #编号）看一条需求的进展，可以补充、催办或撤回，例如 /my {number}"

CANCEL_USAGE = "请写上编号，例如：/cancel 1024"
CANCELLED_REQUEST = "已撤回需求 #{number}。"
CANNOT_CANCEL = "需求 #{number} 当前状态是「{status}」，已经无法撤回。如需帮助请直接发文字说明。"
NOT_FOUND = "没有找到编号为 #{number} 的需求，请发送 /my 查看您的需求编号。"
BAD_NUMBER = "编号应该是一个数字，例如 1024。"

LIMIT_REACHED = "您今天已经提交了 {limit} 条需求，明天再来吧。如有紧急情况请拨打 12345 或 110。"
ERROR = "抱歉，系统出了点问题，刚才的操作没有完成。请稍后再试。"

STATUS_NAMES = {
    "open": "待受理",
    "claimed": "已签收",
    "in_progress": "处理中",
    "resolved": "已办结",
    "cancelled": "已撤回",
    "merged": "已合并",
}


def excerpt(text: str, limit: int = 60) -> str:
    """A short, HTML-escaped excerpt of what a resident wrote."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return escape(flat)


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


# --- input the conversation does not expect -------------------------------------------------

UNSUPPORTED = (
    "抱歉，我现在只看得懂文字、照片和位置。请用文字描述您的需求"
    "（语音可以先在手机上转成文字再发给我）。"
)
EDITED = "修改过的消息我收不到哦。如需更正，请重新发一条，或发送 /cancel 重新开始。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可以使用的命令。"
GROUP_ONLY_PRIVATE = "您好！为了保护大家的隐私，请私聊我提交需求：点我的头像，再点「发消息」。"
TOO_FAST = "您发得太快了，请稍等一分钟再发。您之前的内容都已收到。"
CONTACT_SHARED = "☎️ 已记下您的电话。还可以补充照片或位置，好了就点「下一步」。"

# --- the resident's own data ----------------------------------------------------------------

MYDATA_NONE = "我们没有保存关于您的任何信息。"
MYDATA = (
    "<b>我们保存的关于您的信息</b>\n"
    "称呼：{name}\n"
    "常用地址：{place}\n"
    "首次使用：{since}\n"
    "需求：{count} 条{requests}\n\n"
    "如需删除这些个人信息，请发送 /forgetme 。"
)
MYDATA_ROW = "\n<b>#{number}</b> {status}：{text}{contact}"
FORGET_CONFIRM = (
    "确定要删除您的个人信息吗？\n"
    "删除后：您的称呼、地址、需求内容、照片、位置和联系方式都会被清除；"
    "需求的类别和处理情况会匿名保留，只用于统计。此操作无法撤销。"
)
BTN_FORGET_YES = "🗑 确定删除"
BTN_FORGET_NO = "保留"
FORGOTTEN = "已删除您的个人信息（匿名保留 {count} 条需求的统计数据）。感谢您使用「邻里」。"
FORGET_KEPT = "好的，您的信息已保留，没有删除任何内容。"

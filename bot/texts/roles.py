"""What each role reads at /start and /help, and the command menu Telegram shows each role.

HTML parse mode: names (a person's, an organisation's) are passed through `bot.texts.excerpt`
before they are put into these templates.
"""

from __future__ import annotations

# --- the command menus (command, description): Telegram shows them beside the input field ---

RESIDENT_MENU = (
    ("start", "开始使用"),
    ("my", "我的需求"),
    ("cancel", "取消正在填写的需求"),
    ("help", "使用说明"),
    ("mydata", "查看我的个人信息"),
    ("forgetme", "删除我的个人信息"),
)
STAFF_MENU = (
    ("start", "开始使用"),
    ("help", "社工使用说明"),
    ("queue", "待受理的需求"),
    ("mine", "我们组织正在处理的需求"),
    ("claim", "认领：/claim 编号"),
    ("note", "记录进展：/note 编号 进展"),
    ("ask", "向居民提问：/ask 编号 问题"),
    ("files", "照片和位置：/files 编号"),
    ("show", "一条需求的全部经过：/show 编号"),
    ("done", "办结：/done 编号 处理结果"),
    ("release", "退回队列：/release 编号"),
    ("extend", "申请延期：/extend 编号 天数 理由"),
    ("reclassify", "改正类别：/reclassify 编号 类别"),
    ("merge", "合并重复需求：/merge 编号A 编号B"),
    ("notify", "推送方式：即时、每日汇总、关闭"),
    ("leave", "退出组织"),
)
ADMIN_MENU = (
    ("start", "开始使用"),
    ("help", "管理员使用说明"),
    ("neworg", "新建组织"),
    ("orgs", "组织列表"),
    ("invite", "社工邀请码：/invite 组织"),
    ("blacklist", "暂停接单：/blacklist 组织 原因"),
    ("unblacklist", "恢复接单：/unblacklist 组织"),
    ("scope", "服务范围：/scope 组织"),
    ("places", "地名册：社区、小区，居民写的未知地点"),
    ("contracts", "服务合同：查看、终止"),
    ("newcontract", "录入服务合同"),
    ("removestaff", "移除社工：/removestaff 组织"),
    ("reclassify", "改正类别：/reclassify 编号 类别"),
    ("assign", "分派：/assign 编号 组织"),
    ("merge", "合并重复需求：/merge 编号A 编号B"),
    ("show", "一条需求的全部经过：/show 编号"),
    ("overdue", "超时的需求（督办、分派）"),
    ("unclaimed", "待认领的需求（没有组织覆盖的在前）"),
    ("urge", "督办：/urge 编号 说明"),
    ("summary", "每周汇总：/summary、/summary last"),
    ("performance", "绩效评价材料：合同或组织，Excel 和 PDF"),
)
ADMIN_AND_STAFF_HELP_ITEM = "使用说明（管理员和社工）"

# --- /start ---------------------------------------------------------------------------------

STAFF_WELCOME = (
    "您好，{name}！您是「{organisation}」的社工。\n\n"
    "新需求会以卡片推送给您，点「认领」即可接单。\n"
    "/queue 待受理的需求\n"
    "/mine 我们组织正在处理的需求\n\n"
    "发送 /help 查看全部社工命令。"
)
ADMIN_WELCOME = (
    "您好，{name}！您是「邻里」的管理员。\n\n"
    "您可以新建组织（/neworg）、邀请社工（/invite）、查看每周汇总（/summary）。\n"
    "发送 /help 查看全部管理命令。"
)
ADMIN_ALSO_STAFF = "\n\n您同时是「{organisation}」的社工，社工命令（/queue、/mine 等）也可以使用。"
ORGANISATION_SUSPENDED = (
    "\n\n⚠️ 您所在的组织目前被暂停接单，暂时不能查看或认领需求。如有疑问请联系管理员。"
)
STAFF_DRAFT_DISCARDED = "\n\n（您之前没填完的那条需求已经取消了。）"

# --- /help ----------------------------------------------------------------------------------

STAFF_HELP = (
    "<b>社工使用说明</b>（{organisation}）\n"
    "新需求会以卡片推送给您，点卡片上的「认领」即可接单。\n\n"
    "/queue 待受理的需求（最早、最急的在前；认领前电话和证件号会打码）\n"
    "/claim 编号 认领需求，例如 /claim 1024\n"
    "/mine 我们组织正在处理的需求、办结时限和居民的补充\n"
    "/note 编号 进展 记录进展，居民会收到，例如 /note 1024 明天上午上门\n"
    "/ask 编号 问题 向居民提问，居民的回答会转给您\n"
    "/files 编号 查看居民发来的照片和位置\n"
    "/show 编号 一条需求的全部经过（你们组织处理过的）\n"
    "/done 编号 处理结果 办结，居民会被请来确认是否解决并评分\n"
    "/release 编号 处理不了，退回待受理队列（选一个原因，或直接写：/release 编号 原因）\n"
    "/extend 编号 天数 理由 申请延长办结时限（最多 10 个工作日），管理员同意后生效\n"
    "/reclassify 编号 类别 改正你们组织在办需求的类别（帮助改进自动分类）\n"
    "/merge 编号A 编号B 把重复的需求 B 合并到 A\n"
    "/notify 推送方式：即时推送、每日汇总或关闭推送\n"
    "/leave 退出组织（您经手的需求留在组织里）\n\n"
    "<b>完工照片</b>：发一张照片，在照片的说明里写 <code>/done 编号 处理结果</code>，"
    "例如 <code>/done 1024 换了控制板</code>。居民会连同照片收到办结通知和「解决了吗」的问题。\n\n"
    "<b>时限</b>（按工作日，节假日不算）：{claim_days} 个工作日内认领，"
    "紧急需求 {urgent_hours} 小时内认领；认领后 {resolve_days} 个工作日内办结；"
    "认领后 {stale_days} 个工作日没有进展记录（/note），需求会自动退回队列。"
    "快到时限会提醒您。"
)
ADMIN_HELP = (
    "<b>管理员使用说明</b>\n"
    "「组织」可以写名称或编号（/orgs 里能看到编号）。\n\n"
    "/neworg 新建组织：按提示填名称、服务类别、服务社区和联系方式\n"
    "/orgs 所有组织：服务范围、社工人数、处理中的需求\n"
    "/invite 组织 生成社工邀请码（{invite_days} 天内有效，只能用一次），"
    "把 /join 那一行转发给社工\n"
    "/blacklist 组织 原因 暂停组织接单，它在办的需求退回队列\n"
    "/unblacklist 组织 恢复组织接单\n"
    "/scope 组织 查看和修改组织的服务类别和社区\n"
    "/places 地名册（街道、社区、小区）和居民写的、名册里没有的地点；"
    "点按钮把它加为某个小区的别名或新小区，同样写法的需求一起更新\n"
    "/newcontract 录入服务合同：按提示选组织，填购买方、服务类别和社区、期限、绩效目标和预算\n"
    "/contracts 服务合同（执行中的在前），可查看、提前终止；组织在合同期内接收合同范围内的需求\n"
    "/removestaff 组织 移除社工（他们经手的需求留在组织里）\n"
    "/reclassify 编号 类别 改正需求类别（记录为分类纠正）\n"
    "/assign 编号 组织 把需求直接分派给某个组织\n"
    "/merge 编号A 编号B 把重复的需求 B 合并到 A\n"
    "/show 编号 一条需求的全部经过：每一步、谁处理过、时限、居民的补充\n"
    "/overdue 超时的需求；/unclaimed 待认领的需求（没有组织覆盖的在前），"
    "每条下面有「督办」和「分派」按钮\n"
    "社工申请延期时，您会收到「同意 / 不同意」按钮；同意后办结时限顺延。\n"
    "/urge 编号 说明 督办：说明会转给处理它的组织（还没人认领时转给服务范围覆盖它的组织）\n"
    "/summary 本周到目前的汇总；/summary last 上周；/summary 2026-W47 指定的一周"
    "（文字、图表和 Excel 表格）\n"
    "/performance 绩效评价材料：选合同或组织和评价期（本月、上月、本季度、上季度、"
    "合同期内或输入日期），得到各项指标与合同目标对照、超时和退单个案、抽查个案、"
    "合同覆盖情况（文字、Excel 和 PDF）\n\n"
    "上周的汇总每{weekday} {time} 自动发给您。需求超过认领或办结时限没处理，也会通知您；"
    "新需求没有任何组织覆盖时，当天就会通知您。"
)
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# --- the flood limit, for staff and admins --------------------------------------------------

STAFF_TOO_FAST = (
    "您一分钟内的操作太多了（上限 {limit} 次），请稍等一下再发命令。卡片上的按钮不受影响。"
)

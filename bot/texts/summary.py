"""Strings of the weekly summary, /merge and the 我也遇到了 (+1) offer, in Simplified Chinese.

The chat text is HTML: anything residents wrote (excerpts, community and building names) is
escaped by the renderer before it is put into these templates. Chart and workbook labels are
plain text.
"""

from __future__ import annotations

# --- /summary --------------------------------------------------------------------------------

SUMMARY_NOT_ALLOWED = "抱歉，需求周报只有管理员可以查看。"
SUMMARY_USAGE = (
    "用法：\n"
    "/summary 本周到目前为止\n"
    "/summary last 上一周\n"
    "/summary 2026-W47 指定的一周（年-W周数）"
)
SUMMARY_BAD_WEEK = "没看懂「{week}」是哪一周。" + "\n" + SUMMARY_USAGE
SUMMARY_FUTURE_WEEK = "{week} 还没有到（本周是 {current}），只能查看本周和以前的周报。"
SUMMARY_WEEK_OUT_OF_RANGE = "只能查看 {first} 年到 {last} 年之间的周报。" + "\n" + SUMMARY_USAGE
# Appended to the text when the chart or the workbook could not be made this time.
SUMMARY_PARTS_MISSING = "⚠️ 这次{parts}没能生成，文字部分不受影响；可稍后发送 /summary {week} 再试。"
SUMMARY_PART_CHART = "图表"
SUMMARY_PART_WORKBOOK = "Excel 明细"
SUMMARY_PARTS_JOIN = "和"
SUMMARY_PHOTO_CAPTION = "{week} 各类需求：本周与上周对比，以及近四周走势"
SUMMARY_DOCUMENT_CAPTION = "{week} 需求周报明细（Excel），可直接转发"
SUMMARY_FILE_NAME = "邻里需求周报-{week}.xlsx"
SUMMARY_SCHEDULED_INTRO = "📬 每周一例行推送：上周的需求周报。"

# --- the chat text ---------------------------------------------------------------------------

TITLE = "📊 <b>邻里需求周报 {week}</b>（{start}—{end}{partial}）"
PARTIAL = "，截至{as_of}"
DATE_FORMAT = "{month}月{day}日"
DATETIME_FORMAT = "{month}月{day}日 {hour:02d}:{minute:02d}"
HEADLINE = "本周新需求 <b>{needs}</b> 件（{change}），涉及居民 <b>{residents}</b> 人"
EXTRAS = "另有撤回 {cancelled} 件、合并重复 {merged} 件；「我也遇到了」{supported} 次"
# Residents' 催办 of the week (only when there were some).
PUSHES = "居民催办 {pushed} 次"
# Resolutions closed as 未回访 (no 是/否 within 7 days): neither satisfied nor unsolved.
UNANSWERED = "未回访结单 {count} 件（不计入满意或未解决）"
EMPTY_WEEK = "这一周没有收到新的需求。"

CHANGE_UP = "较上周 ↑{change}，+{pct}%"
CHANGE_UP_NEW = "较上周 ↑{change}"
CHANGE_DOWN = "较上周 ↓{change}，{pct}%"
CHANGE_SAME = "与上周持平"
SHORT_UP = "↑{change}"
SHORT_DOWN = "↓{change}"
SHORT_SAME = "持平"

SECTION_CATEGORIES = "<b>分类</b>（件 · 居民 · 较上周）"
CATEGORY_ROW = "· {name} {requests}件 {residents}人 {change}"
MORE_CATEGORIES = "· 其余 {count} 类共 {requests} 件"

SECTION_HOT = "<b>热点</b>"
HOT_COMMUNITY_ROW = "· {community} {requests}件/{residents}人 {change}"
HOT_BUILDING_ROW = "· {community} {building} {requests}件/{residents}人"
SECTION_CLUSTERS = "<b>同一问题多人反映</b>"
CLUSTER_ROW = "· #{number} {place}「{excerpt}」<b>{residents}</b>人"
SECTION_KEYWORDS = "<b>关键词</b>"
KEYWORD_ROW = "· {name}：{words}"
KEYWORD_SEPARATOR = "、"

BACKLOG = (
    "<b>积压</b>（截至{as_of}）共 {total} 件："
    "待签收 {unclaimed}，办理中 {in_work}，超时 <b>{overdue}</b>"
)
TIMES = (
    "<b>时效</b> 签收中位 {claim_median}（P90 {claim_p90}）；"
    "办结中位 {resolve_median}（P90 {resolve_p90}）"
)
HOURS = "{hours}小时"
DAYS = "{days}天"
NO_VALUE = "—"

# A rate with the counts it rests on: "80%（8/10）"; below the minimum count "—（1/2）", and
# "—" alone when there is nothing to count (storage.figures.rate).
RATE = "{pct}（{numerator}/{denominator}）"
RATE_TOO_FEW = "—（{numerator}/{denominator}）"
# The week's service rates over all requests, in one line under the backlog (each defined in
# the workbook's 说明 sheet).
RATES = (
    "<b>服务指标</b> 响应率 {response}；按时办结率 {on_time}；解决率 {resolution}；"
    "满意率 {satisfaction}{stars}；回访率 {followup}；退单率 {release}"
)
STARS = "（均 {rating} 星）"
SECTION_ORGANISATIONS = "<b>组织</b>（按按时办结率的置信下限排名）"
ORGANISATION_ROW = (
    "{rank}. {name}：签收{claimed} 办结{resolved} 响应{response} "
    "按时{on_time} 满意{satisfaction}{stars}{reopened}"
)
ORGANISATION_STARS = " {rating}分"
REOPENED = " 重开{count}"
MORE_ORGANISATIONS = "· 另有 {count} 个组织，详见表格"
# Needs no active service contract covered (the next purchase plan's input): the first few.
GAPS = "<b>合同未覆盖</b> {gaps}{more}"
GAP = "{community}·{category} {requests}件/{residents}人"
GAP_SEPARATOR = "；"
GAP_NO_COMMUNITY = "未知社区"
MORE_GAPS = "；另 {count} 项见表格「覆盖缺口」"

CLASSIFIER = "<b>自动分类</b> 居民更正 {residents}/{predicted}（{rate}），工作人员更正 {staff}"
CLASSIFIER_CONFUSION = "；常见：{pairs}"
CONFUSION_PAIR = "{predicted}→{corrected} {count}"

# --- the chart -------------------------------------------------------------------------------

CHART_TITLE = "邻里需求周报 {week}"
CHART_SUBTITLE = "{start}—{end}  新需求 {needs} 件 · 涉及居民 {residents} 人"
CHART_BARS_TITLE = "各类需求：本周与上周"
CHART_THIS_WEEK = "本周"
CHART_LAST_WEEK = "上周"
CHART_TREND_TITLE = "近四周走势（件）"
CHART_TOTAL = "合计"
CHART_EMPTY = "这一周没有新需求"
CHART_OTHERS = "其余类别"

# --- the workbook ----------------------------------------------------------------------------

SHEET_OVERVIEW = "概览"
SHEET_CATEGORIES = "分类"
SHEET_COMMUNITIES = "社区"
SHEET_HOT = "热点楼栋"
SHEET_CLUSTERS = "多人反映"
SHEET_BACKLOG = "积压"
SHEET_TIMES = "时效"
SHEET_ORGANISATIONS = "组织"
SHEET_KEYWORDS = "关键词"
SHEET_CLASSIFIER = "分类更正"
SHEET_GAPS = "覆盖缺口"
SHEET_REQUESTS = "本周需求明细"
SHEET_NOTES = "说明"

OVERVIEW_HEADERS = ("指标", "数值")
OVERVIEW_ROWS = {
    "week": "周次",
    "period": "时间范围",
    "as_of": "统计截至",
    "needs": "新需求（件）",
    "previous_needs": "上周新需求（件）",
    "change_pct": "较上周变化",
    "residents": "涉及居民（人）",
    "previous_residents": "上周涉及居民（人）",
    "filed": "提交总数（含撤回、合并）",
    "cancelled": "撤回",
    "merged": "合并重复",
    "supported": "「我也遇到了」次数",
    "pushed": "居民催办（次）",
    "unanswered": "未回访结单（件）",
    "claimed": "本周签收",
    "resolved": "本周办结",
    "reopened": "本周重开",
    "backlog": "积压（件）",
    "overdue": "其中超时",
    "claim_median": "签收用时中位数（小时）",
    "claim_p90": "签收用时 P90（小时）",
    "resolve_median": "办结用时中位数（小时）",
    "resolve_p90": "办结用时 P90（小时）",
    "response_rate": "响应率",
    "on_time_rate": "按时办结率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "mean_rating": "平均评分（星）",
    "followup_rate": "回访率",
    "release_rate": "退单率",
}
CATEGORY_HEADERS = ("类别", "本周（件）", "上周（件）", "变化", "变化率", "涉及居民（人）")
COMMUNITY_HEADERS = ("社区", "本周（件）", "上周（件）", "变化", "变化率", "涉及居民（人）")
HOT_HEADERS = ("社区", "楼栋", "需求（件）", "涉及居民（人）")
CLUSTER_HEADERS = (
    "编号",
    "类别",
    "社区",
    "楼栋",
    "内容摘要",
    "需求（件）",
    "其中已合并",
    "涉及居民（人）",
    "相关编号",
)
BACKLOG_HEADERS = ("类别", "积压（件）", "其中超时")
BACKLOG_TOTAL = "合计"
TIMES_HEADERS = (
    "类别",
    "签收（件）",
    "签收中位数（小时）",
    "签收 P90（小时）",
    "办结（件）",
    "办结中位数（小时）",
    "办结 P90（小时）",
)
TIMES_ALL = "全部"
ORGANISATION_HEADERS = (
    "排名",
    "组织",
    "签收（件）",
    "办结（件）",
    "周末仍在办（件）",
    "响应率",
    "按时办结率",
    "解决率",
    "满意率",
    "平均评分",
    "评分（条）",
    "回访率",
    "退单率",
    "重开（次）",
)
GAP_HEADERS = ("社区", "类别", "需求（件）", "涉及居民（人）")
KEYWORD_HEADERS = ("类别", "关键词", "权重")
CLASSIFIER_HEADERS = ("预测类别", "预测（件）", "居民更正", "工作人员更正", "居民更正率")
CONFUSION_HEADERS = ("预测类别", "更正为", "次数")
REQUEST_HEADERS = (
    "编号",
    "提交时间",
    "类别",
    "系统预测类别",
    "社区",
    "楼栋",
    "状态",
    "紧急",
    "承办组织",
    "居民人数",
    "签收时间",
    "办结时间",
    "重开次数",
    "是否解决",
    "评分",
    "合并到",
    "有照片",
    "内容（已隐去电话和证件号）",
)
URGENT = "紧急"
YES = "是"
NO = "否"
NOTES = (
    "统计口径",
    "周次按 ISO 周计算（周一至周日），以本地时区 {timezone} 的零点为界。",
    "新需求：本周提交、未撤回、未被合并到其他需求的需求。",
    "涉及居民：本周提交需求或对需求点了「我也遇到了」的不同居民人数；被合并需求的居民计入保留的需求。",
    "积压：周末（当前周为统计时刻）仍处于待受理、已签收或处理中的需求；超时按工作日时限计算。",
    "签收、办结：本周内的每一次签收（含管理员指派）和办结，记在当时的组织名下；"
    "之后的退回、超时收回或重开不改变已经过去的周。",
    "各项比率均写作「比率（分子/分母）」；分母不足 {minimum} 件时不给比率，只写「—」和件数。"
    "每件事只在结果确定的那一周计入一次，所以各周相加等于整段时间，过去的周不会再变。",
    "响应率 = 时限内签收 ÷（签收 + 超时未签收）。时限自需求进入待受理队列（提交，或退回、"
    "收回、重开）起算：{claim} 个工作日（紧急 {urgent} 小时）。时限内签收（含管理员指派）"
    "计入签收的那一周；时限到了仍无人签收，计入时限到达的那一周，之后再签收不重复计入；"
    "时限前撤回或合并的不计。超时未签收计入当时服务范围（含有效的服务合同）覆盖它的每一个组织。",
    "按时办结率 = 时限内办结 ÷（办结 + 超时仍在办）。时限自每次签收起算：{resolve} 个工作日，"
    "加上管理员在时限内批准的延期。时限内办结计入办结的那一周；时限到了仍未办结，计入时限"
    "到达的那一周；因长期无进展被系统收回的，计为未按时办结；组织主动退单、被拉黑收回或改派的，"
    "不计入本项。",
    "解决率 = 回访中居民答「解决了」÷ 回访作答数（解决了 + 没解决），按作答时间计入。",
    "满意率 = 4 星和 5 星评分 ÷ 全部评分，按评分时间计入；旁边的星数是这些评分的平均值。",
    "回访率 = 回访已作答 ÷（已作答 + 7 天未作答结单的「未回访」），按回访结束时间计入；"
    "仍在等待回答的不计。",
    "退单率 = 组织工作人员主动退回（/release）的签收 ÷ 本周结束的签收（办结、退回、超时收回、"
    "拉黑收回、改派、撤回）。超时无进展被系统收回和拉黑收回不算退单。",
    "解决率、满意率、回访率记在被评价的那次办结的组织名下（反馈「未解决」即重开）。",
    "组织排名按按时办结率的 95% 置信下限（Wilson）从高到低：件数很少时下限低，"
    "一两件「100%」不会排到前面。",
    "覆盖缺口：本周提交的需求中，提交时没有任何有效服务合同（合同的类别和社区都包含它，且在"
    "合同起止日期内、未提前终止）覆盖的，按社区和类别汇总：下一年度购买服务计划的依据。",
    "签收用时：每次签收自需求进入待受理队列（提交，或退回、重开）起的小时数；办结用时：每次办结"
    "自促成它的那次签收起的小时数（均为中位数与第 90 百分位）。",
    "「我也遇到了」次数：居民本周点按的次数；被合并需求的居民计入涉及居民，但不算点按。",
    "多人反映：被合并、被「我也遇到了」或内容相近（同社区、同类别）的需求归为一组。",
    "关键词：每类最多取本周最近 {sample} 条需求计算。",
)

# --- Open311 / CSV export --------------------------------------------------------------------

STATUS_NOTE_MERGED = "已合并到 #{number}"
# GeoReport v2 `group` of every service (categories.csv has no grouping of its own).
OPEN311_GROUP = "社区服务需求"

# --- /merge ----------------------------------------------------------------------------------

MERGE_USAGE = "用法：/merge 保留的编号 要合并的编号\n例如 /merge 1024 1031：把 #1031 合并到 #1024。"
MERGE_NOT_ALLOWED = "抱歉，只有社工和管理员可以合并需求。"
MERGE_DONE = (
    "✅ 已把 #{merged} 合并到 #{keep}。\n"
    "#{keep} 现在有 <b>{supporters}</b> 位居民反映，#{merged} 的居民会收到 #{keep} 的进展。"
)
MERGE_SAME = "两个编号相同，不需要合并。"
MERGE_KEEP_CLOSED = "需求 #{number} 已撤回或已合并，不能作为保留的需求。"
MERGE_MERGE_CLOSED = "需求 #{number} 已不在办理中（已办结、撤回或合并），不能再合并。"
MERGE_NOT_FOUND = "没有找到需求 #{number}。"
MERGE_OUT_OF_SCOPE = "需求 #{number} 不在您组织负责的范围内，不能合并。"
MERGE_NOTICE = (
    "您的需求 #{merged} 和邻居反映的 #{keep} 是同一个问题，已合并处理。之后的进展会在这里通知您。"
)

# --- 我也遇到了 (+1), for the resident conversation -------------------------------------------

DUPLICATE_FOUND = (
    "🔎 邻居已经反映过相同的问题：\n\n"
    "<b>#{number}</b>「{excerpt}」\n"
    "{place} · {status} · 已有 <b>{supporters}</b> 位居民反映\n\n"
    "如果是同一件事，点「我也遇到了」就行，不用重复提交，处理进展会通知您。"
)
DUPLICATE_OWN = (
    "您在 {date} 已经提交过相同的问题：<b>#{number}</b>「{excerpt}」，当前状态：{status}。\n"
    "不用重复提交，有进展会通知您。"
)
BTN_ME_TOO = "🙋 我也遇到了"
BTN_FILE_ANYWAY = "📝 不是同一件事，继续提交"
SUPPORT_ADDED = (
    "✅ 已记下，您是第 <b>{supporters}</b> 位反映这个问题的居民。\n"
    "需求 <b>#{number}</b> 当前状态：{status}。有进展会在这里通知您。"
)
SUPPORT_ALREADY = "您已经反映过需求 #{number} 了，不用重复点。当前状态：{status}。"
SUPPORT_OWN = "需求 #{number} 是您自己提交的，有进展会通知您。"
SUPPORT_CLOSED = "需求 #{number} 已经{status}了。如果问题还在，请直接发文字重新提交。"
SUPPORTERS_BADGE = "👥 {count}人反映"
PRESS_DUPLICATE_BUTTON = "请点上面消息里的按钮：是同一件事点「我也遇到了」，不是就点「继续提交」。"

# Words an admin may give /summary for a week, and what they mean to storage.summary.parse_week.
WEEK_WORDS = {"本周": "this", "上周": "last"}

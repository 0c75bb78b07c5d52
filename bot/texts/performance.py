"""Strings of the evaluation pack (绩效评价): /performance, its text, workbook and PDF, in
Simplified Chinese.

The chat text is HTML (names are escaped by the renderer); workbook and PDF labels are plain.
"""

from __future__ import annotations

from bot.texts.extensions import RELEASE_REASONS
from bot.texts.oversight import EVENT_NAMES, WHO

__all__ = ["EVENT_NAMES", "RELEASE_REASONS", "WHO"]

NO_VALUE = "—"
TITLE = "绩效评价材料"

# --- the figures -----------------------------------------------------------------------------

# ServiceRates.to_dict() keys, in the order they are shown, with their names.
RATES = {
    "response_rate": "响应率",
    "on_time_rate": "按时办结率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "followup_rate": "回访率",
    "release_rate": "退单率",
}
MEAN_RATING = "平均星级"
TARGET_NAMES = {**RATES, "mean_rating": MEAN_RATING}
RATE_VALUE = "{pct}（{numerator}/{denominator}）"
STARS_VALUE = "{stars} 星（{count} 个评分）"
MET = "达标"
NOT_MET = "未达标"
UNJUDGED = "样本不足"
UNMEASURED = "本系统不统计"
TARGET_AT_LEAST = "≥ {value}"
TARGET_AT_MOST = "≤ {value}"

# --- the header ------------------------------------------------------------------------------

CONTRACT_LINE = "合同 #{id}{title}：{purchaser} 向 {organisation} 购买服务"
CONTRACT_TERM = "合同期：{start} 至 {end}{ended}"
CONTRACT_ENDED = "（已于 {date} 提前终止）"
CONTRACT_SCOPE = "服务类别：{categories}；服务社区：{communities}"
CONTRACT_BUDGET = "预算：{budget} 元"
ORGANISATION_LINE = "组织：{organisation}（全部服务范围）"
PERIOD_LINE = "评价期：{start} 至 {end}（统计截至 {as_of}）"
ALL = "全部"
LIST_JOIN = "、"
LIST_MORE = "等 {n} 个"
DATE = "{year}年{month}月{day}日"
SHORT_DATE = "{month}月{day}日"
MOMENT = "{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"

# --- the chat text ---------------------------------------------------------------------------

TEXT_TITLE = "📋 <b>绩效评价材料</b>"
SECTION_FIGURES = "<b>主要指标</b>（分子/分母；样本少于 5 件显示「—」）"
SECTION_TARGETS = "<b>合同目标</b>"
TARGET_ROW = "· {name}：目标 {target}，实际 {actual} {verdict}"
FIGURE_ROW = "· {name}：{value}"
SECTION_CASES = "<b>个案</b>"
CASES_LINE = "超时 {overdue} 件 · 退单 {released} 件 · 抽查 {sample} 件（详见附件）"
COVERAGE_LINE = (
    "<b>覆盖情况</b>：范围内需求 {in_scope} 件，本组织承接 {taken} 件；"
    "由其他组织承接 {by_others} 件，无人承接 {never} 件"
)
FILES_LINE = "完整材料见下方 Excel 和 PDF 文件。"

# --- /performance in chat ------------------------------------------------------------------------

NOT_ALLOWED = "抱歉，绩效评价材料只有管理员可以查看。"
USAGE = (
    "用法：\n"
    "/performance 按提示选择合同或组织、评价期\n"
    "/performance 合同12 2027-01-01 2027-03-31\n"
    "/performance 玉林社工站 2027-Q1（也可写 2027-03 或 合同期）"
)
CHOOSE_SUBJECT = "要评价哪个合同或组织？"
NOTHING_TO_EVALUATE = "还没有任何服务合同或组织。"
CHOOSE_PERIOD = "评价 {subject}：请选择评价期。"
SUBJECT_CONTRACT = "合同 #{id} {organisation}"
SUBJECT_ORGANISATION = "组织 {organisation}"
BTN_CONTRACT = "📄 合同#{id} {organisation}"
BTN_ORGANISATION = "🏢 {organisation}"
BTN_THIS_MONTH = "本月"
BTN_LAST_MONTH = "上月"
BTN_THIS_QUARTER = "本季度"
BTN_LAST_QUARTER = "上季度"
BTN_CONTRACT_TERM = "合同期内"
BTN_TYPE_DATES = "输入日期"
ASK_DATES = "请回复这条消息，写评价期的开始和结束日期，例如：\n2027-01-01 2027-03-31"
DATES_PLACEHOLDER = "2027-01-01 2027-03-31"
# The last line of ASK_DATES's message: the reply is matched to the subject by it.
ASK_DATES_REF = "（评价对象编号：{kind}#{id}）"
REF_CONTRACT = "合同"
REF_ORGANISATION = "组织"
WORKING_ON = "正在生成评价材料，请稍候……"
BAD_DATES = (
    "没看懂这个日期范围。请写两个日期，例如：2027-01-01 2027-03-31 或 2027年1月1日 至 2027年3月31日"
)
BAD_PERIOD = "没看懂评价期「{period}」。" + "\n" + USAGE
PERIOD_REFUSED = "评价期不对：结束日期要在开始日期之后，而且最长约 10 年。"
NO_CONTRACT_TERM = "「合同期」只适用于合同；评价组织时请选择月份、季度或输入日期。"
CONTRACT_NOT_FOUND = "没有编号为 {id} 的服务合同。"
ORGANISATION_NOT_FOUND = "没有找到组织「{ref}」。请用 /orgs 查看组织的名称和编号。"
BUTTON_EXPIRED = "这个按钮已失效，请重新发送 /performance。"
FAILED = "抱歉，评价材料没能生成，请稍后再试。"
PART_MISSING = "⚠️ 这次{part}没能生成，请稍后再发送 /performance 试一次。"
PART_WORKBOOK = "Excel 文件"
PART_PDF = "PDF 文件"
WORKBOOK_CAPTION = "{subject} {start} 至 {end} 绩效评价明细（Excel）"
PDF_CAPTION = "{subject} {start} 至 {end} 绩效评价报告（PDF）"
FILE_NAME = "绩效评价-{subject}-{start}-{end}.{ext}"
FILE_SUBJECT_CONTRACT = "合同{id}"

# --- workbook and PDF ------------------------------------------------------------------------

SHEET_OVERVIEW = "概况"
SHEET_TARGETS = "目标与实际"
SHEET_CATEGORIES = "分类别"
SHEET_COMMUNITIES = "分社区"
SHEET_OVERDUE = "超时个案"
SHEET_RELEASED = "退单个案"
SHEET_SAMPLE = "抽查个案"
SHEET_TIMELINE = "抽查经过"
SHEET_COVERAGE = "覆盖情况"
SHEET_NOT_TAKEN = "未承接需求"
SHEET_NOTES = "说明"

HEAD_ITEM = "项目"
HEAD_VALUE = "内容"
HEAD_FIGURE = "指标"
HEAD_NUMERATOR = "分子"
HEAD_DENOMINATOR = "分母"
HEAD_RATE = "比率"
HEAD_TARGET = "目标"
HEAD_ACTUAL = "实际"
HEAD_TARGET_VALUE = "目标值"
HEAD_ACTUAL_VALUE = "实际值"
HEAD_VERDICT = "结论"
HEAD_CATEGORY = "类别"
HEAD_COMMUNITY = "社区"
HEAD_NUMBER = "编号"
HEAD_FILED = "提交时间"
HEAD_STATUS = "当前状态"
HEAD_LIMIT = "超过的时限"
HEAD_DUE = "时限"
HEAD_DONE = "完成时间"
HEAD_RELEASED_AT = "退单时间"
HEAD_REASON = "原因"
HEAD_TAKEN_BY = "承接组织"
HEAD_TEXT = "居民诉求（已隐去电话、证件号）"
HEAD_COMPOUND = "小区"
HEAD_CLAIMED = "签收时间"
HEAD_RESOLVED = "办结时间"
HEAD_SOLVED = "是否解决"
HEAD_RATING = "星级"
HEAD_PHOTOS = "完工照片"
HEAD_WHEN = "时间"
HEAD_WHO = "谁"
HEAD_STEP = "经过"
HEAD_NOTE = "说明"
HEAD_IN_SCOPE = "范围内需求"
HEAD_BY_OTHERS = "其他组织承接"
HEAD_NEVER = "无人承接"

LABEL_SUBJECT = "评价对象"
LABEL_PURCHASER = "购买方"
LABEL_ORGANISATION = "承接组织"
LABEL_CONTRACT = "合同"
LABEL_TERM = "合同期"
LABEL_CATEGORIES = "服务类别"
LABEL_COMMUNITIES = "服务社区"
LABEL_BUDGET = "预算（元）"
LABEL_PERIOD = "评价期"
LABEL_AS_OF = "统计截至"
LABEL_OVERDUE = "超时个案"
LABEL_RELEASED = "退单个案"
LABEL_COVERAGE = "覆盖情况"
LABEL_TAKEN = "本组织承接"

OVERDUE_KINDS = {
    "claim": "签收超时",
    "resolve": "办结超时",
    "unclaimed": "超时无人签收",
}
NOT_YET = "未完成"
NOBODY = "无"
YES = "是"
NO = "否"
PHOTO_EXISTS = "有 {count} 张"
PHOTO_NONE = "无"
LISTED_OF = "列出 {listed} 件，共 {total} 件"

# PDF sections.
PDF_SECTION_HEADER = "一、评价对象与评价期"
PDF_SECTION_FIGURES = "二、主要指标与合同目标"
PDF_SECTION_BREAKDOWN = "三、分类别、分社区指标"
PDF_SECTION_OVERDUE = "四、超时个案"
PDF_SECTION_RELEASED = "五、退单个案"
PDF_SECTION_SAMPLE = "六、抽查个案（居民诉求已隐去电话、证件号）"
PDF_SECTION_COVERAGE = "七、合同覆盖情况"
PDF_SECTION_NOTES = "八、指标口径"
PDF_NONE = "无。"
PDF_CASE_TITLE = "个案 #{number}　{category}　{community}　{status}"
PDF_CASE_PHOTO = "完工照片（{count} 张）："
PDF_PHOTO_MISSING = "完工照片 {count} 张（请在机器人中查看：/show {number}）"
PDF_MORE = "……共 {total} 件，这里列出 {shown} 件；Excel 明细列出 {listed} 件。"
PDF_FOOTER = "邻里 · 绩效评价材料 · 第 {page} 页"
PDF_COVERAGE_OTHERS = "其他组织承接：{names}"

NOTES = (
    "响应率 = 在时限内签收的 ÷（签收的 + 超过签收时限仍无人签收的）；超时无人签收的，"
    "计入服务范围（含合同）覆盖它的每个组织。",
    "按时办结率 = 在时限内办结的 ÷（办结的 + 超过办结时限仍未办结的 + 无进展被收回的）；"
    "延期获批的天数计入时限。",
    "解决率 = 回访中居民回答「已解决」的 ÷ 作出回答的回访。",
    "满意率 = 4—5 星的评分 ÷ 全部评分；平均星级另列。",
    "回访率 = 作出回答的回访 ÷（作出回答的 + 7 天没有回答、按未回访结单的）。",
    "退单率 = 本组织社工主动退回的签收 ÷ 评价期内结束的签收（办结、退回、收回、改派、撤回）。",
    "每件事计入它发生（或时限到期）的那个评价期，所以几个月的数字可以相加，过去的数字不会再变。",
    "每个比率都注明分子和分母；分母少于 5 件时不给出比率，显示「—」。",
    "时限按中国大陆工作日计算（含法定节假日和调休）：普通需求 1 个工作日内签收、"
    "签收后 5 个工作日内办结，紧急需求 2 小时内签收。",
    "评价合同时只计合同的服务类别和社区；评价组织时计该组织的全部工作。",
    "超时个案：评价期内时限到期的签收超时、办结超时、无进展被收回；"
    "评价合同时，合同范围内超过签收时限无人签收的需求也列入。",
    "抽查个案：评价期内提交、本组织签收过的需求，按提交时间均匀抽取，同一评价期每次抽到的相同。",
    "覆盖情况：合同范围内（类别 × 社区、评价期内提交，撤回与合并的除外）本组织没有承接的需求，"
    "分为由其他组织承接（或办结）的和没有组织承接的。",
    "超时个案、退单个案和未承接需求各最多列出 {limit} 件（最早的），总数见「概况」。",
)

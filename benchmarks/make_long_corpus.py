"""Generate the long-message benchmark corpus: citizens' messages to a city government board.

Run as `.venv/bin/python benchmarks/make_long_corpus.py` (deterministic; rewrites
benchmarks/data/long_messages_train.csv and long_messages_test.csv).

Why generated: the public data of this kind (the 2020 Teddy Cup "smart government" messages:
留言主题, 留言详情, 一级标签) is distributed for the competition without a licence that allows
keeping it in this repository, and no openly licensed set of real messages was reachable. So
this script writes messages in the shape of a 12345 / mayor's-mailbox export instead:
a subject line and a body of 50-500 characters, the seven first-level labels of that data
(城乡建设, 环境保护, 交通运输, 教育文体, 劳动和社会保障, 商贸旅游, 卫生计生) in about its
proportions, five writers of different styles (formal letter, angry, plain narrative, voice
typed, consultation), each writing every label so that style says nothing about the label.

What makes real messages hard is reproduced on purpose, before any model was measured:
- most of a body is generic (greeting, who I am, how long it has lasted, that departments
  pass the buck, what I ask): label words are a small part of a long text;
- about a third of the messages mention another label's matter in passing (a teacher's unpaid
  wages, traffic on a building site, a landlord's fees);
- some subjects are vague ("反映一个问题", "求助") and only the body tells;
- boundary matters are labelled either way as departments do (night-time construction noise:
  环境保护 or 城乡建设; medical insurance: 劳动和社会保障 or 卫生计生; school traffic: 交通运输
  or 教育文体), so no model can be perfect.
It is still a generated corpus: its sentences come from a finite bank, so absolute scores are
higher than on real messages; compare models on it, not with published figures.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "data"
SEED = 20200501
TEST_FRACTION = 0.2

# Messages per label, about the proportions of the public data's 9,210 messages.
COUNTS = {
    "城乡建设": 650,
    "劳动和社会保障": 640,
    "教育文体": 520,
    "商贸旅游": 400,
    "环境保护": 300,
    "卫生计生": 290,
    "交通运输": 200,
}

# --- slots ------------------------------------------------------------------------------

CITIES = ["A市", "A市", "A市", "B市", "K市"]
DISTRICTS = ["A1区", "A2区", "A3区", "A4区", "A5区", "A6区", "A7区", "西湖区", "高新区", "经开区"]
STREETS = ["东塘", "雨花亭", "洞井", "黎托", "圭塘", "星沙", "望城坡", "月湖", "白沙", "金霞"]
ESTATE_A = ["锦绣", "金色", "阳光", "碧水", "书香", "幸福", "和谐", "万家", "恒祥", "美林", "中南"]
ESTATE_B = ["花园", "家园", "小区", "公馆", "华庭", "雅居", "新村", "名城", "丽景", "国际"]
ROAD_A = ["人民", "建设", "解放", "五一", "芙蓉", "韶山", "中山", "劳动", "万家丽", "桐梓坡"]
ROAD_B = ["路", "大道", "街", "中路", "东路", "北路"]
FIRMS = ["鑫盛", "华泰", "宏远", "恒通", "金鹏", "瑞丰", "天成", "永兴", "博雅", "顺发"]
NAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
TIMES = [
    "去年年底",
    "今年3月份",
    "上个月",
    "2019年5月",
    "半年前",
    "从去年开始",
    "近两个月",
    "春节以后",
    "2018年",
    "上周",
]
DURATIONS = ["两个多月", "半年多", "一年多", "三个月", "好几个星期", "快两年", "十几天"]


def _slots(rng: random.Random) -> dict[str, str]:
    area = rng.choice(STREETS)
    return {
        "city": rng.choice(CITIES),
        "district": rng.choice(DISTRICTS),
        "street": area + "街道",
        "estate": rng.choice(ESTATE_A) + rng.choice(ESTATE_B),
        "road": rng.choice(ROAD_A) + rng.choice(ROAD_B),
        "school": area + rng.choice(["实验小学", "第一中学", "二中", "职业技术学院", "中心幼儿园"]),
        "hospital": rng.choice([area, rng.choice(DISTRICTS)])
        + rng.choice(["人民医院", "中医院", "妇幼保健院", "社区卫生服务中心", "第三医院"]),
        "firm": rng.choice(FIRMS),
        "name": rng.choice(NAMES),
        "time": rng.choice(TIMES),
        "dur": rng.choice(DURATIONS),
        "n": str(rng.choice([2, 3, 5, 6, 8, 10, 12, 15, 20, 30, 50, 100, 200])),
        "money": str(rng.choice([300, 800, 1500, 2000, 3600, 5000, 8000, 12000, 30000])),
        "years": str(rng.choice([3, 5, 8, 12, 20, 26, 31])),
        "year": str(rng.choice([2015, 2016, 2017, 2018, 2019])),
        "bus": str(rng.choice([3, 11, 16, 107, 123, 138, 202, 315, 406, 901])),
    }


# --- topics: label (or labels with weights for boundary matters), subjects, facts, asks ----

Topic = dict[str, list[str] | dict[str, float]]
Rows = list[tuple[str, str, str]]

TOPICS: list[Topic] = [
    # 城乡建设
    {
        "labels": {"城乡建设": 1.0},
        "subject": [
            "{estate}物业不作为",
            "{district}{estate}物业乱收费",
            "投诉{estate}物业公司",
            "{estate}物业服务差，业主苦不堪言",
        ],
        "facts": [
            "小区物业公司收了物业费却不干事，楼道里的灯坏了{dur}都没人修",
            "物业擅自把物业费从每平米1.2元涨到1.8元，没有开业主大会",
            "物业把小区公共绿地改成收费停车位，停车费全进了物业的口袋",
            "电梯经常困人，物业说没有维修资金，要业主再交钱",
            "物业公司和开发商是一家的，业主提出的问题一概推脱",
            "小区的公共收益从来没有公示过，业主想查账物业不给看",
            "业主想成立业委会，物业和社区一直拖着不给办",
            "小区门禁坏了{dur}，外来人员随便进出，物业不管",
        ],
        "ask": [
            "请住建部门督促物业整改",
            "希望房产局对物业公司进行查处",
            "请相关部门监督物业公司履行合同",
        ],
    },
    {
        "labels": {"城乡建设": 1.0},
        "subject": [
            "{estate}违章搭建问题",
            "举报{road}违建",
            "{district}有人私自加盖楼层",
            "关于{estate}一楼住户违建的投诉",
        ],
        "facts": [
            "小区一楼住户在公共区域私自搭建阳光房，占了消防通道",
            "有业主在楼顶违规加盖了一层，已经影响到房屋结构安全",
            "{road}边上有人用铁皮围起来搭了几间房，向外出租",
            "我们向城管和街道反映了多次，违建不但没拆还越建越大",
            "违建挡住了我家的采光，白天家里都要开灯",
            "城管来看过一次，说要立案，结果就没有下文了",
        ],
        "ask": [
            "请城管执法部门依法拆除违章建筑",
            "希望有关部门尽快拆违，还业主一个安全的环境",
        ],
    },
    {
        "labels": {"城乡建设": 1.0},
        "subject": [
            "{road}片区拆迁补偿问题",
            "征收补偿款迟迟不到位",
            "关于{district}棚改安置房的咨询",
            "安置房交房一再延期",
        ],
        "facts": [
            "我家的房子{year}年被征收，说好两年内交安置房，到现在还没动工",
            "征收时签的协议是每月发过渡费，可从{time}起就停发了",
            "同一栋楼的补偿标准不一样，先签的吃亏，后签的反而拿得多",
            "拆迁办的人说补偿标准是按{year}年的评估价，和现在的房价差太多",
            "安置小区的房子墙面开裂、漏水，质量问题很严重",
            "棚改项目说好回迁，现在却要我们补差价才能选房",
        ],
        "ask": [
            "请征收部门给被拆迁户一个明确的答复",
            "恳请政府落实安置政策，让我们早日回迁",
        ],
    },
    {
        "labels": {"城乡建设": 1.0},
        "subject": [
            "{estate}房产证迟迟办不下来",
            "购房{n}年了还没有不动产证",
            "开发商延期交房",
            "{estate}房屋质量问题",
        ],
        "facts": [
            "我们{year}年在{estate}买的房，交房好几年了，房产证一直办不下来",
            "开发商说是因为土地款没交清，所以办不了不动产权证",
            "没有房产证，孩子上学、落户都受影响",
            "合同约定的交房时间早就过了，开发商一拖再拖",
            "交房后发现卫生间漏水、墙体空鼓，开发商不肯维修",
            "售楼时承诺的学校和公园，交房后都变成了商业用地",
        ],
        "ask": [
            "请住建局和不动产登记中心协调解决办证问题",
            "希望政府督促开发商按合同履约",
        ],
    },
    {
        "labels": {"城乡建设": 1.0},
        "subject": [
            "{estate}频繁停水",
            "{road}路灯不亮",
            "老旧小区改造的建议",
            "{estate}下水道堵塞污水横流",
            "{road}一下雨就内涝",
        ],
        "facts": [
            "小区这{dur}经常停水，每次停水都没有提前通知",
            "{road}的路灯坏了一大片，晚上走路黑灯瞎火",
            "我们小区是上世纪九十年代的老房子，管网老化，水压很小",
            "小区主下水管堵了，污水从井盖里冒出来",
            "每次下大雨{road}都会积水，最深的地方到膝盖",
            "希望能把我们小区纳入老旧小区提质改造，加装电梯、改造管网",
            "燃气管道老化，楼道里有时候能闻到煤气味",
        ],
        "ask": [
            "请市政和供水部门尽快处理",
            "希望相关部门把我们小区列入改造计划",
        ],
    },
    {
        "labels": {"城乡建设": 0.7, "环境保护": 0.3},
        "subject": [
            "{road}工地夜间施工扰民",
            "{estate}旁边工地噪音太大",
            "投诉工地深夜施工",
            "{road}工地扬尘严重",
        ],
        "facts": [
            "^小区旁边的工地每天晚上施工到凌晨两三点，打桩机的声音震耳欲聋",
            "工地的渣土车进出不冲洗，路面全是泥，风一吹灰尘满天",
            "施工单位说办了夜间施工许可证，可许可证上写的是浇筑混凝土，现在天天晚上都在干",
            "^老人和小孩晚上根本睡不着，孩子第二天上课都没精神",
            "^工地没有围挡也没有洒水，周边居民家里窗台全是灰",
        ],
        "ask": [
            "请环保部门和住建部门联合查处",
            "请相关部门责令工地停止夜间施工",
        ],
    },
    {
        "labels": {"教育文体": 0.6, "劳动和社会保障": 0.4},
        "subject": [
            "{school}拖欠教师工资",
            "民办学校老师的待遇问题",
            "{school}老师讨薪",
            "学校临时工的问题",
        ],
        "facts": [
            "{school}的老师已经{dur}没有拿到课时费了",
            "^学校只和我们签了一年一签的劳务合同，从来不交五险一金",
            "学校说是教育局的经费没有下拨，所以发不了",
            "^我们去劳动监察大队反映，对方说学校不归他们管",
            "老师们都不敢声张，怕影响学校的评估",
            "^学校的保安和食堂工人每月工资只有一千多，低于最低工资标准",
        ],
        "ask": [
            "请教育局和人社局督促学校发放工资",
            "希望有关部门维护老师的合法权益",
        ],
    },
    {
        "labels": {"商贸旅游": 0.6, "交通运输": 0.4},
        "subject": [
            "{district}景区交通问题",
            "节假日去景区太堵",
            "景区停车乱收费",
        ],
        "facts": [
            "景区门口的停车场一次收费五十元，也没有任何收费公示",
            "^节假日去景区的路堵得一动不动，十公里开了三个小时",
            "景区的观光车票价太高，不坐又走不进去",
            "^没有直达景区的公交车，游客只能打黑车",
            "景区周边的农家乐拉客，游客被围着走不了",
            "^景区附近的路口没有红绿灯，车辆人流混在一起很危险",
        ],
        "ask": [
            "请旅游和交通部门统筹解决",
            "希望相关部门加强节假日景区管理",
        ],
    },
    {
        "labels": {"城乡建设": 0.6, "环境保护": 0.4},
        "subject": [
            "{estate}垃圾和绿化问题",
            "小区环境脏乱差",
            "{estate}公共区域被占用",
        ],
        "facts": [
            "物业把小区的绿化带挖掉铺成了水泥地，用来停车",
            "^小区里的垃圾桶好几天都没人清运，苍蝇蚊子到处飞",
            "小区的公共区域被开发商卖给了商户，业主毫不知情",
            "^旁边的小河被小区的化粪池污水污染了，气味很大",
            "小区的道路坑坑洼洼，一下雨就积水",
            "^楼下空地被人堆满了装修垃圾，还有人在里面焚烧",
        ],
        "ask": [
            "请住建和环保部门督促整改",
            "希望相关部门管一管小区的环境",
        ],
    },
    # 环境保护
    {
        "labels": {"环境保护": 1.0},
        "subject": [
            "{district}化工厂偷排废气",
            "举报{firm}公司排放刺鼻气体",
            "{road}附近工厂污染严重",
            "工厂夜里偷偷排污",
        ],
        "facts": [
            "附近的{firm}化工厂一到晚上就偷偷排放废气，气味刺鼻，熏得人头晕恶心",
            "工厂的烟囱冒黑烟，周边居民晚上不敢开窗",
            "工厂把污水直接排到旁边的小河里，河水都变成了黑色",
            "环保局来检查的时候工厂就停产，检查的人一走又开始排",
            "附近好多老人得了呼吸道疾病，大家怀疑跟这个厂有关",
            "厂里的污水处理设备根本没有运行，只是摆个样子",
        ],
        "ask": [
            "请环保局突击检查，依法关停污染企业",
            "恳请生态环境部门严查偷排行为",
        ],
    },
    {
        "labels": {"环境保护": 1.0},
        "subject": [
            "{road}河道黑臭",
            "{district}小河被污染",
            "关于{street}水塘污染的问题",
        ],
        "facts": [
            "{road}边上的小河以前很清，现在又黑又臭，夏天蚊虫成群",
            "河里经常有死鱼漂上来，周边的生活污水都直接排进河里",
            "上游有养猪场，猪粪直接冲进河道",
            "水塘边上堆满了建筑垃圾和生活垃圾，没人清理",
            "居民在河边散步都要捂着鼻子走",
        ],
        "ask": [
            "希望环保部门对河道进行综合治理",
            "请相关部门查清污染源，还我们一河清水",
        ],
    },
    {
        "labels": {"环境保护": 1.0},
        "subject": [
            "{estate}楼下餐馆油烟扰民",
            "投诉{road}烧烤店油烟",
            "{estate}广场舞噪音扰民",
            "KTV噪音扰民",
        ],
        "facts": [
            "楼下新开了一家餐馆，油烟管道直接对着住户的窗户排",
            "烧烤店每天营业到凌晨，油烟和噪音让楼上的住户苦不堪言",
            "餐馆没有安装油烟净化器，家里的窗帘都熏黄了",
            "小区广场舞每天晚上音响开得特别大，一直跳到十点多",
            "楼下的KTV每天晚上唱到凌晨，低音炮震得玻璃都在响",
            "找过店家协商，店家态度很差，说有营业执照谁也管不了",
        ],
        "ask": [
            "请环保部门依法处理油烟和噪声污染",
            "希望相关部门管一管，还居民一个安静的夜晚",
        ],
    },
    {
        "labels": {"环境保护": 1.0},
        "subject": [
            "{district}垃圾站臭气熏天",
            "垃圾焚烧厂选址问题",
            "{street}非法倾倒垃圾",
            "关于{district}养殖场污染的投诉",
        ],
        "facts": [
            "小区门口的垃圾中转站离住宅楼不到二十米，夏天臭气熏天",
            "听说要在我们附近建垃圾焚烧发电厂，居民非常担心二噁英污染",
            "有人半夜开着车往荒地上倾倒工业垃圾，有的还是化工桶",
            "村里的养猪场规模越来越大，粪水直接排进农田",
            "臭味太大，周边居民根本不敢开窗",
            "垃圾渗滤液流得到处都是，污染了地下水",
        ],
        "ask": [
            "请环保部门依法查处并督促整改",
            "希望重新论证选址，充分听取居民意见",
        ],
    },
    {
        "labels": {"环境保护": 1.0},
        "subject": [
            "{district}非法采砂破坏河道",
            "有人盗采山体",
            "砍伐树木破坏生态",
        ],
        "facts": [
            "河里有几条采砂船日夜作业，河堤都被挖空了",
            "有人在山上开采石料，整座山被挖得面目全非",
            "{road}两边的行道树被成片砍掉，说是要修停车场",
            "采石场的粉尘把周边的农作物都盖住了",
            "举报了好几次，来人看了一下又走了，采砂船照开不误",
        ],
        "ask": [
            "请自然资源和环保部门依法打击",
            "希望有关部门保护好我们的绿水青山",
        ],
    },
    # 交通运输
    {
        "labels": {"交通运输": 1.0},
        "subject": [
            "{bus}路公交车班次太少",
            "建议增开到{street}的公交线路",
            "{bus}路公交司机态度恶劣",
            "公交线路调整后出行不便",
        ],
        "facts": [
            "{bus}路公交车早高峰要等四十多分钟才来一趟，上班经常迟到",
            "{bus}路线路调整以后，我们小区附近就没有公交站了",
            "公交司机开车太猛，急刹车好几次，老人差点摔倒",
            "公交车到站不停，乘客在站台招手司机也不理",
            "{street}这边新建了好几个小区，几万人住着却只有一条公交线",
            "末班车太早，晚上九点以后就没车了",
        ],
        "ask": [
            "请交通运输局优化线路、增加班次",
            "希望公交公司加强对司机的管理",
        ],
    },
    {
        "labels": {"交通运输": 1.0},
        "subject": [
            "出租车拒载、不打表",
            "网约车乱收费",
            "投诉{city}火车站出租车宰客",
        ],
        "facts": [
            "在火车站打出租车，司机不打表，张口就要一百块",
            "晚上下班高峰出租车拒载，说不顺路",
            "网约车司机中途绕路，车费比平时多了一倍",
            "出租车司机在车里抽烟，乘客提出来还被骂",
            "黑车在机场和车站门口拉客，乱要价",
        ],
        "ask": [
            "请运管部门加强对出租车市场的整治",
            "希望交通部门严查黑车",
        ],
    },
    {
        "labels": {"交通运输": 1.0},
        "subject": [
            "{road}红绿灯设置不合理",
            "{road}路口拥堵严重",
            "建议在{road}增设人行天桥",
            "{road}货车超载超速",
        ],
        "facts": [
            "{road}和{road}交叉口的红绿灯时间太短，行人过马路要跑着走",
            "每天上下班高峰{road}都堵得水泄不通，两公里要走半个小时",
            "大货车在{road}上超速行驶，已经出过好几起交通事故",
            "路口没有设置左转信号灯，车辆抢行很危险",
            "道路上的标线看不清了，晚上开车很容易走错道",
        ],
        "ask": [
            "请交警部门优化信号灯配时",
            "希望交通管理部门尽快整治",
        ],
    },
    {
        "labels": {"交通运输": 1.0},
        "subject": [
            "驾驶证换证问题咨询",
            "车辆年检排队太久",
            "关于电动车上牌的咨询",
            "违章处理不合理",
        ],
        "facts": [
            "我的驾驶证快到期了，人在外地，想问能不能异地换证",
            "去车管所办年检，排了一整天的队都没办完",
            "电动车新国标出来以后，旧车要不要上牌，过渡期到什么时候",
            "我被电子眼拍了违章，可那个路口的标志被树挡住了根本看不见",
            "网上预约车检，号一放出来就没了，怀疑被黄牛抢了",
        ],
        "ask": [
            "请车管所给予解答",
            "希望交警部门简化办理流程",
        ],
    },
    {
        "labels": {"交通运输": 0.7, "教育文体": 0.3},
        "subject": [
            "{school}门口交通拥堵",
            "学校周边接送车辆乱停",
            "建议{school}门口设置减速带",
        ],
        "facts": [
            "每天放学的时候，{school}门口的家长车辆把整条路都堵死了",
            "学校门口没有斑马线也没有减速带，孩子过马路很危险",
            "接送孩子的电动车、小汽车乱停乱放，公交车都开不过去",
            "^学校放学时间太早，家长上班没法接，只能让孩子在门口等",
            "^学校没有组织家长志愿者护学，校方说这不归学校管",
        ],
        "ask": [
            "请交警和学校协调，做好上下学时段的交通疏导",
            "希望在学校门口设置限速标志和护栏",
        ],
    },
    # 教育文体
    {
        "labels": {"教育文体": 1.0},
        "subject": [
            "{school}乱收费",
            "{school}强制学生补课",
            "举报{school}老师有偿家教",
            "{school}违规收取资料费",
        ],
        "facts": [
            "{school}每个学期除了学费还要交资料费、校服费、空调费，加起来好几千",
            "学校要求学生周末必须到校补课，每人收费{money}元",
            "班主任暗示家长让孩子去他开的辅导班，不去就不给座位调整",
            "学校强制订购指定的教辅资料，不订就在班上点名",
            "老师在课堂上不讲重点，重点都留到校外辅导班讲",
            "学校食堂的饭菜又贵又难吃，还不准学生带饭",
        ],
        "ask": [
            "请教育局查处学校乱收费行为",
            "希望教育部门加强对学校的监管",
        ],
    },
    {
        "labels": {"教育文体": 1.0},
        "subject": [
            "孩子入学难问题",
            "{district}学区划分不合理",
            "关于随迁子女入学的咨询",
            "幼儿园学位紧张",
        ],
        "facts": [
            "我们{estate}明明离{school}只有几百米，却被划到了五公里外的学校",
            "我是外地来{city}打工的，孩子今年要上一年级，不知道需要准备哪些材料",
            "小区配套的幼儿园建好了却一直没有开园",
            "公办幼儿园学位太少，私立幼儿园一个月要三四千",
            "积分入学的分数线每年都在变，我们家长无所适从",
            "学区房买了，学校却说要看户口落户的年限",
        ],
        "ask": [
            "请教育局合理划分学区",
            "希望政府增加公办学位，解决孩子上学难",
        ],
    },
    {
        "labels": {"教育文体": 1.0},
        "subject": [
            "{school}强制学生外出实习",
            "学校安排的实习与专业不符",
            "职业学院实习乱象",
        ],
        "facts": [
            "{school}要求我们全体学生到外地的电子厂实习，不去就不发毕业证",
            "学校安排的实习和我们学的专业一点关系都没有，就是流水线普工",
            "实习每天要上十二个小时的班，工资还被学校和中介抽走一部分",
            "我们是学护理的，学校却让我们去工厂装手机",
        ],
        "ask": [
            "请教育部门调查学校的违规实习行为",
            "希望学校尊重学生意愿，安排与专业对口的实习",
        ],
    },
    {
        "labels": {"教育文体": 1.0},
        "subject": [
            "{district}体育馆不对外开放",
            "建议在{street}建设全民健身场地",
            "图书馆开放时间太短",
            "关于{street}文化广场的建议",
        ],
        "facts": [
            "区里新建的体育馆平时大门紧锁，市民想去打球都进不去",
            "{street}周边有几万居民，却没有一个像样的健身场所",
            "市图书馆晚上六点就闭馆了，上班族根本没时间去看书",
            "社区的文化活动室一直被挪作他用，老年人想唱歌跳舞都没地方",
            "学校的操场周末也不对周边居民开放",
        ],
        "ask": [
            "请文体部门合理安排场馆开放",
            "希望多建一些免费的健身和文化设施",
        ],
    },
    {
        "labels": {"教育文体": 1.0},
        "subject": [
            "关于乡村教师待遇的建议",
            "代课教师转正问题",
            "{school}教师绩效工资不公",
        ],
        "facts": [
            "我是一名乡村学校的老师，教书{years}年了，工资比城里同行少一大截",
            "我们代课老师干的活和在编老师一样多，待遇却差很多",
            "学校的绩效工资分配不透明，领导拿大头，一线老师拿得很少",
            "老师的乡村教师补贴已经{dur}没有发了",
        ],
        "ask": [
            "请教育局落实教师待遇",
            "希望关注乡村教师和代课教师的待遇问题",
        ],
    },
    # 劳动和社会保障
    {
        "labels": {"劳动和社会保障": 1.0},
        "subject": [
            "{firm}公司拖欠工资",
            "农民工工资被拖欠",
            "讨薪无门，求助",
            "{firm}建筑工地欠薪",
        ],
        "facts": [
            "我在{firm}公司上班，公司已经{dur}没有发工资了，一共欠了我{money}元",
            "我们一帮农民工在{road}的工地干了大半年，包工头拿了钱跑了",
            "去劳动监察大队投诉过，对方说让我们去法院起诉",
            "老板一直说下个月发，一拖再拖，家里老人看病都没有钱",
            "公司突然宣布停业，员工的工资和经济补偿一分都没给",
            "年底了，几十个工人的血汗钱还没着落",
        ],
        "ask": [
            "请劳动保障监察部门帮我们追讨工资",
            "恳请人社局为我们农民工做主",
        ],
    },
    {
        "labels": {"劳动和社会保障": 1.0},
        "subject": [
            "单位不给员工缴纳社保",
            "社保转移接续问题",
            "关于灵活就业人员社保缴费的咨询",
            "{firm}公司少缴社保",
        ],
        "facts": [
            "我在{firm}公司工作了{years}年，公司一直没有给我交社保",
            "公司按最低基数给我们交社保，和实际工资差了一大截",
            "我从外省回来，想把养老保险转回来，跑了好几趟都没办成",
            "我是灵活就业人员，想问个人交社保每个月要交多少",
            "公司让员工签了自愿放弃社保的协议，这合法吗",
            "社保断缴了几个月，不知道对以后领养老金有没有影响",
        ],
        "ask": [
            "请社保部门给予解答",
            "希望人社部门查处不依法缴纳社保的企业",
        ],
    },
    {
        "labels": {"劳动和社会保障": 1.0},
        "subject": [
            "退休人员养老金待遇问题",
            "关于提前退休的咨询",
            "企业退休人员待遇偏低",
            "退休审批办理太慢",
        ],
        "facts": [
            "我是企业退休职工，每个月退休金只有两千出头，和同年龄的机关退休人员差好几倍",
            "我{year}年满的退休年龄，退休审批拖了{dur}还没办下来",
            "我从事的是特殊工种，想问能不能提前退休",
            "档案里的出生日期和身份证上的不一致，社保局说要去档案局核实",
            "退休后的养老金资格认证每年都要跑，老年人很不方便",
        ],
        "ask": [
            "请人社局核实后给予答复",
            "希望提高企业退休人员的养老待遇",
        ],
    },
    {
        "labels": {"劳动和社会保障": 1.0},
        "subject": [
            "工伤认定问题",
            "{firm}公司违法解除劳动合同",
            "公司强制加班不给加班费",
            "劳动仲裁迟迟没有结果",
        ],
        "facts": [
            "我在上班时从脚手架上摔下来，腿摔断了，公司不给申报工伤",
            "公司没有任何理由就把我辞退了，也不给经济补偿金",
            "公司每天要求加班到晚上十点，周末也要上班，从来不给加班费",
            "入职{dur}了公司一直不跟我签劳动合同",
            "申请劳动仲裁已经{dur}了，一直没有开庭",
            "工伤鉴定结果出来了，公司却拒绝支付工伤待遇",
        ],
        "ask": [
            "请劳动部门维护我们的合法权益",
            "恳请人社局督促公司依法赔偿",
        ],
    },
    {
        "labels": {"劳动和社会保障": 1.0},
        "subject": [
            "人才引进补贴迟迟不发",
            "关于失业保险金申领的咨询",
            "职称评定问题",
            "高校毕业生就业补贴",
        ],
        "facts": [
            "我是{year}年通过人才引进政策来{city}工作的，说好的租房补贴一直没发",
            "我被公司裁员了，想申请失业金，不知道要准备什么材料",
            "我们单位的职称评审名额很少，一等就是好几年",
            "应届毕业生的就业见习补贴申请了{dur}还没有到账",
            "网上申请创业补贴一直显示审核中",
        ],
        "ask": [
            "请人社部门尽快落实政策",
            "希望相关部门给予答复",
        ],
    },
    {
        "labels": {"劳动和社会保障": 0.7, "卫生计生": 0.3},
        "subject": [
            "医保报销比例太低",
            "异地就医医保报销难",
            "关于城乡居民医保缴费的咨询",
        ],
        "facts": [
            "我父亲在外地住院，回来报销医保要跑好几个部门",
            "城乡居民医保每年都在涨，报销的比例却没怎么变",
            "^{hospital}让住院病人自己去外面药店买药，这部分医保不能报",
            "^医院的收费清单看不懂，护士也说不清楚收的是什么钱",
            "医保卡在药店刷不了，说系统升级",
            "^医生开药只开自费药，说医保药效果不好",
        ],
        "ask": [
            "请医保部门简化报销流程",
            "希望提高医保报销比例",
        ],
    },
    # 商贸旅游
    {
        "labels": {"商贸旅游": 1.0},
        "subject": [
            "{firm}健身房办卡后跑路",
            "预付卡消费维权难",
            "{road}美容院卷款跑路",
            "教育培训机构退费难",
        ],
        "facts": [
            "我在{firm}健身房办了{money}元的年卡，才用了两个月店就关门了",
            "美容院老板卷款跑路，几百个会员的储值卡都作废了",
            "商家诱导消费者办预付卡，办完卡服务质量马上下降",
            "找到商场管理方，商场说与他们无关",
            "培训机构突然停课，交了的学费不给退",
        ],
        "ask": [
            "请市场监管部门依法查处",
            "希望政府加强对预付卡消费的监管",
        ],
    },
    {
        "labels": {"商贸旅游": 1.0},
        "subject": [
            "旅游团强制购物",
            "{district}景区门票价格过高",
            "投诉{firm}旅行社",
            "景区管理混乱",
        ],
        "facts": [
            "参加了{firm}旅行社的低价团，导游把我们拉到购物店，不买东西不让走",
            "景区门票从八十涨到了一百六，里面的项目还要另外收费",
            "景区里的商贩强买强卖，游客拍个照都要收钱",
            "国庆节景区游客爆满，排队两个小时才进去",
            "旅行社收了钱临时取消行程，只退一半的团费",
        ],
        "ask": [
            "请文旅部门查处违规旅行社",
            "希望旅游主管部门加强景区管理",
        ],
    },
    {
        "labels": {"商贸旅游": 1.0},
        "subject": [
            "{road}超市卖过期食品",
            "商家价格欺诈",
            "{road}农贸市场缺斤少两",
            "网购商品质量问题维权",
        ],
        "facts": [
            "我在{road}的一家超市买的牛奶，回家发现已经过期一个星期了",
            "商家标价和结账价格不一致，多收了钱还不承认",
            "农贸市场的摊贩用的秤有问题，一斤肉少了二两",
            "双十一在网上买的家电，用了几天就坏了，商家拒绝退换",
            "打12315投诉，说已经转给辖区市场监管所处理，到现在没有回音",
        ],
        "ask": [
            "请市场监管局依法处理",
            "希望加强市场监管，保护消费者权益",
        ],
    },
    {
        "labels": {"商贸旅游": 1.0},
        "subject": [
            "{road}占道经营问题",
            "{street}夜市管理混乱",
            "关于{district}商业网点规划的建议",
            "加油站乱收费",
        ],
        "facts": [
            "{road}两边的商铺把货物摆到人行道上，行人只能走机动车道",
            "夜市的摊位越摆越多，到处是垃圾，还有人卖假货",
            "我们这片区几万人，连一个像样的菜市场和超市都没有",
            "加油站在加油的时候多收钱，小票上的数字和油枪上不一样",
            "商场的消防通道被商户堆满了货物",
        ],
        "ask": [
            "请商务和市场监管部门加强管理",
            "希望规划建设便民的商业网点",
        ],
    },
    {
        "labels": {"商贸旅游": 1.0},
        "subject": [
            "{firm}装修公司违约",
            "家具质量问题投诉",
            "二手车交易被骗",
        ],
        "facts": [
            "我和{firm}装修公司签了合同，付了{money}元定金，公司拖着不开工",
            "装修用的材料和合同上写的不一样，都是劣质货",
            "买的实木家具用了不到半年就开裂，商家说是人为损坏",
            "在二手车市场买了一辆车，后来发现是事故车，商家隐瞒了",
        ],
        "ask": [
            "请市场监管部门介入调查",
            "希望有关部门帮消费者维权",
        ],
    },
    # 卫生计生
    {
        "labels": {"卫生计生": 1.0},
        "subject": [
            "{hospital}医生态度恶劣",
            "{hospital}过度医疗",
            "投诉{hospital}乱收费",
            "医院看病难",
        ],
        "facts": [
            "带孩子去{hospital}看病，医生态度非常冷淡，问两句就不耐烦",
            "普通的感冒发烧，医院开了一大堆检查，花了{money}元",
            "出院结账的时候发现清单上有很多没用过的药",
            "专家号一号难求，网上预约永远约不到，黄牛却能拿到号",
            "急诊科晚上只有一个医生值班，病人排到走廊上",
            "住院部的厕所脏乱差，护士叫了半天也不来",
        ],
        "ask": [
            "请卫健委调查处理",
            "希望卫生部门加强对医院的监督管理",
        ],
    },
    {
        "labels": {"卫生计生": 1.0},
        "subject": [
            "独生子女父母奖励金问题",
            "二孩政策咨询",
            "计划生育特别扶助金",
            "关于出生医学证明办理的问题",
        ],
        "facts": [
            "我和爱人都是独生子女，想问生二孩需要办什么手续",
            "我是独生子女父母，按政策退休时应该有一次性奖励，单位说没有这个钱",
            "孩子出生快一个月了，医院还没有给办出生医学证明",
            "失独家庭的特别扶助金标准是多少，去哪里申请",
            "计生办要求补交社会抚养费，可我们符合政策",
        ],
        "ask": [
            "请卫健部门给予政策解答",
            "希望落实计划生育家庭的奖励政策",
        ],
    },
    {
        "labels": {"卫生计生": 1.0},
        "subject": [
            "疫苗接种预约难",
            "{street}社区卫生服务中心服务差",
            "家庭医生签约流于形式",
            "HPV疫苗一针难求",
        ],
        "facts": [
            "孩子打疫苗要去社区卫生服务中心排队，每次都要等两三个小时",
            "九价HPV疫苗在网上预约了{dur}还没有排到",
            "说是签了家庭医生，一年下来医生一次都没联系过我们",
            "社区卫生服务中心很多常用药都没有，只能去大医院开",
            "接种点的工作人员不按顺序叫号，熟人可以插队",
        ],
        "ask": [
            "请卫健委加强对基层医疗机构的管理",
            "希望增加接种点和疫苗供应",
        ],
    },
    {
        "labels": {"卫生计生": 1.0},
        "subject": [
            "{road}黑诊所非法行医",
            "举报无证行医",
            "药店违规销售处方药",
        ],
        "facts": [
            "{road}有一家小诊所，没有医疗机构执业许可证，却给病人打吊针",
            "诊所的医生没有行医资格，我家孩子在那里输液后出现过敏",
            "药店不要处方就卖抗生素，还推销一些来路不明的保健品",
            "一些养生馆打着中医的旗号，给老年人卖高价药",
        ],
        "ask": [
            "请卫生监督部门依法取缔",
            "希望有关部门严厉打击非法行医",
        ],
    },
    {
        "labels": {"卫生计生": 0.75, "劳动和社会保障": 0.25},
        "subject": [
            "基层医护人员待遇低",
            "乡村医生养老问题",
            "护士编制问题",
        ],
        "facts": [
            "^我是一名乡村医生，干了{years}年，现在老了没有任何养老保险",
            "^医院和合同制护士签的是劳务派遣合同，社保只按最低标准交",
            "基层医生的工资{dur}没涨了，好多年轻医生都走了",
            "村卫生室的补助经费一直没有到位",
        ],
        "ask": [
            "希望卫健部门关注基层医护人员",
            "请相关部门解决乡村医生的养老问题",
        ],
    },
]

# Passing mentions of another label's matter: realistic context that misleads a bag of words.
ASIDES = [
    "我们都是外来务工人员，平时工作也很辛苦",
    "孩子还在{school}读书，每天上下学都要经过这里",
    "我父亲有高血压，这几个月经常往医院跑",
    "小区的物业也不管这些事",
    "我在附近的一家公司上班，社保都是在这边交的",
    "这边离地铁站很远，公交也不方便",
    "周边的餐馆和商铺很多，人流量很大",
    "旁边还有一个工地在施工，到处都是灰",
    "我家老人退休以后一直住在这里",
    "附近的河道也是又脏又臭",
    "小区门口的路一到下班时间就堵",
    "我是做小生意的，在{road}开了一家小店",
    "我们这里是老城区，房子都很旧了",
    "家里两个孩子，一个上幼儿园一个上小学",
    "我是一名老师，平时工作很忙",
    "我是{hospital}的一名护士",
]

# Style: greeting, who I am, how it goes on, generic complaints, closing.
STYLES = {
    "formal": {
        "open": ["尊敬的领导：您好！", "尊敬的市长：", "各位领导好！", "尊敬的{district}领导："],
        "me": [
            "我是{city}{district}{estate}的一名业主，现就以下问题向您反映。",
            "本人系{district}{street}居民，特此反映一件困扰我们很久的事情。",
            "我是{city}的一名普通市民，",
            "",
        ],
        "generic": [
            "此事已持续{dur}，严重影响了周边群众的正常生活。",
            "我们曾多次拨打12345市长热线反映，相关部门互相推诿，问题至今未得到解决。",
            "群众对此意见很大，希望引起领导的高度重视。",
            "该问题涉及众多群众的切身利益。",
        ],
        "close": ["恳请领导在百忙之中予以关注，谢谢！", "望早日答复为盼。", "此致敬礼！", "盼复。"],
        "punct": "，",
    },
    "angry": {
        "open": ["忍无可忍了！！", "到底有没有人管？", "再一次反映！", ""],
        "me": ["我是{estate}的住户，", "我住在{road}附近，", "", "{name}先生，住{estate}，"],
        "generic": [
            "都{dur}了，根本没人管！",
            "打了无数次电话，每次都说会处理，结果呢？",
            "这些部门就是在踢皮球！",
            "老百姓的事情到底还有没有人管？",
            "真的是太过分了！！！",
        ],
        "close": [
            "强烈要求相关部门给个说法！",
            "再不解决我们就只能去市里上访了！",
            "希望不要再敷衍了事！",
            "",
        ],
        "punct": "，",
    },
    "narrative": {
        "open": ["", "您好，", "领导好，"],
        "me": [
            "我叫{name}某某，家住{district}{street}{estate}。",
            "{time}，",
            "我是{district}的居民，{time}开始，",
            "",
        ],
        "generic": [
            "这件事从{time}开始，到现在已经{dur}了。",
            "我先后找过社区、街道，他们都说不归他们管。",
            "后来又打了12345，工作人员说已经转交相关部门，但一直没有下文。",
            "周边很多居民都有同样的遭遇。",
        ],
        "close": ["希望能尽快得到处理，谢谢。", "麻烦帮忙跟进一下，谢谢！", "谢谢！", ""],
        "punct": "，",
    },
    "voice": {
        "open": ["领导你好 ", "你好 ", "喂 你好 ", ""],
        "me": ["我是{estate}的 ", "我想反映个事情 ", "我这边是{district}的 ", ""],
        "generic": [
            "已经好久了 ",
            "打电话也没人管 ",
            "我们老百姓真的没办法 ",
            "说了好多次了 ",
        ],
        "close": ["麻烦你们管一下 谢谢", "谢谢了", "希望快点解决", ""],
        "punct": " ",
    },
    "consult": {
        "open": ["您好，想咨询一个问题。", "请问，", "你好，请教一下：", ""],
        "me": ["我是{city}户籍，", "我现在在{district}工作，", "", "本人住{district}，"],
        "generic": [
            "网上查了很多资料都没有找到明确的说法。",
            "打电话问了几个部门，答复都不一样。",
            "不知道应该找哪个部门。",
        ],
        "close": ["请问这种情况该怎么办？", "麻烦给个明确的答复，谢谢！", "期待您的回复。", ""],
        "punct": "，",
    },
}

VAGUE_SUBJECTS = [
    "反映一个问题",
    "求助",
    "请领导关注",
    "投诉",
    "咨询",
    "关于{district}的问题",
    "急！",
]

# Words writers swap freely; keeps the bank from repeating itself verbatim.
SYNONYMS = [
    ("希望", ["希望", "恳请", "请求", "盼望"]),
    ("相关部门", ["相关部门", "有关部门", "政府部门", "职能部门"]),
    ("反映", ["反映", "反应", "投诉"]),
    ("一直", ["一直", "始终", "总是"]),
    ("居民", ["居民", "老百姓", "群众", "住户"]),
    ("非常", ["非常", "特别", "很", "十分"]),
    ("现在", ["现在", "目前", "如今"]),
]


def _fill(text: str, slots: dict[str, str], rng: random.Random) -> str:
    for word, choices in SYNONYMS:
        if word in text and rng.random() < 0.5:
            text = text.replace(word, rng.choice(choices), 1)
    return text.format(**slots)


def _sentence(text: str, style: Mapping[str, object], rng: random.Random) -> str:
    text = text.strip()
    if not text:
        return ""
    if style["punct"] == " ":
        return text.rstrip("，。！？") + " "
    if text[-1] in "，。！？：":
        return text
    return text + rng.choice(["。", "。", "。", "！", "，"])


def _bank(items: object, held_out: bool) -> list[str]:
    """Every third sentence of a bank is written only in test messages (see `generate`)."""
    assert isinstance(items, list)
    return list(items) if held_out else [item for i, item in enumerate(items) if i % 3 != 2]


def _label(labels: dict[str, float], facts: list[str], rng: random.Random) -> str:
    """A boundary matter's label follows what the message mostly complains about.

    Facts marked "^" lean to the topic's second label (noise and dust from a building site
    are 环境保护's, its permit and management 城乡建设's); a tie goes to the topic's first
    label, and 5% of boundary messages get the other label, as a busy operator might.
    """
    names = list(labels)
    if len(names) == 1:
        return names[0]
    leaning = sum(fact.startswith("^") for fact in facts)
    label = names[1] if leaning * 2 > len(facts) else names[0]
    if rng.random() < 0.05:
        label = names[1] if label == names[0] else names[0]
    return label


def _message(topic: Topic, rng: random.Random, held_out: bool) -> tuple[str, str, str]:
    labels = topic["labels"]
    assert isinstance(labels, dict)
    slots = _slots(rng)
    style_name = rng.choice(list(STYLES))
    style = STYLES[style_name]
    subjects = _bank(topic["subject"], held_out)
    subject = rng.choice(VAGUE_SUBJECTS) if rng.random() < 0.12 else rng.choice(subjects)
    facts = _bank(topic["facts"], held_out)
    rng.shuffle(facts)
    parts: list[str] = [rng.choice(style["open"]), rng.choice(style["me"])]
    body_facts = facts[: rng.randint(2, 4)]
    label = _label(labels, body_facts, rng)
    body_facts = [fact.lstrip("^") for fact in body_facts]
    generic = list(style["generic"])
    rng.shuffle(generic)
    middle = [*body_facts, *generic[: rng.randint(2, 4)]]
    for _ in range(2):
        if rng.random() < 0.3:
            middle.insert(rng.randint(0, len(middle)), rng.choice(ASIDES))
    rng.shuffle(middle)
    parts.extend(middle)
    asks = _bank(topic["ask"], held_out)
    if rng.random() < 0.8:
        parts.append(rng.choice(asks))
    parts.append(rng.choice(style["close"]))
    body = "".join(_sentence(_fill(part, slots, rng), style, rng) for part in parts).strip()
    if style_name == "voice":
        body = body.replace("，", " ").replace("。", " ")
    return _fill(subject, slots, rng), body, label


def generate(seed: int = SEED, test_fraction: float = TEST_FRACTION) -> tuple[Rows, Rows]:
    """Train and test (subject, body, label) rows, `COUNTS` per label, bodies of 50-500 chars.

    Test messages are new text, as in real data: every third sentence of each topic's
    subjects, facts and asks appears only in test messages (which also use the others), so a
    model must recognise a matter from its words, not from a sentence it has seen.
    """
    rng = random.Random(seed)
    by_label: dict[str, list[Topic]] = {}
    for topic in TOPICS:
        labels = topic["labels"]
        assert isinstance(labels, dict)
        main = max(labels, key=lambda name: labels[name])
        by_label.setdefault(main, []).append(topic)
    train: Rows = []
    test: Rows = []
    seen: set[str] = set()
    for main, count in COUNTS.items():
        n_test = round(count * test_fraction)
        for rows, wanted, held_out in ((train, count - n_test, False), (test, n_test, True)):
            made = 0
            while made < wanted:
                subject, body, label = _message(rng.choice(by_label[main]), rng, held_out)
                if not 50 <= len(body) <= 500 or body in seen:
                    continue
                seen.add(body)
                rows.append((subject, body, label))
                made += 1
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def write(path: Path, rows: Rows) -> None:
    """Write in the columns of a 12345 export (留言编号, 留言主题, 留言详情, 一级标签)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["留言编号", "留言主题", "留言详情", "一级标签"])
        for number, (subject, body, label) in enumerate(rows, start=1):
            writer.writerow([number, subject, body, label])


def main() -> None:
    train, test = generate()
    write(OUT_DIR / "long_messages_train.csv", train)
    write(OUT_DIR / "long_messages_test.csv", test)
    lengths = sorted(len(body) for _, body, _ in train + test)
    print(
        f"{len(train)} train, {len(test)} test messages; body length median "
        f"{lengths[len(lengths) // 2]}, min {lengths[0]}, max {lengths[-1]}"
    )


if __name__ == "__main__":
    main()

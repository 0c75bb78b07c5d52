"""A model trained on a deployment's own Chinese labels (城乡建设): the bot names them.

The model answers with derived codes (l_...), which the database and the buttons carry; the
resident reads the names on the buttons and the filed request's card.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.fakeapi import FakeBotAPI
from nlp.categories import label_code
from nlp.classifier import Classifier
from nlp.training import train
from storage.models import ServiceRequest
from tests.bot.conftest import BotHarness, running_bot

pytestmark = pytest.mark.slow

RESIDENT = 5_000_000_401
ROWS = {
    "城乡建设": ["小区电梯坏了没人修", "物业乱收费", "房产证办不下来", "违章搭建占了消防通道"],
    "劳动和社会保障": ["公司拖欠工资三个月", "单位不交社保", "工伤认定不给办", "退休金太低了"],
    "环境保护": ["工厂夜里偷排废气", "河道又黑又臭", "烧烤店油烟扰民", "垃圾站臭气熏天"],
}


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """Overrides tests/bot/conftest.py's shipped model: three Chinese labels."""
    out: Path = tmp_path_factory.mktemp("custom") / "model"
    examples = [(text, label) for label, texts in ROWS.items() for text in texts]
    train(examples, out, epochs=8, progress=lambda _: None)
    return Classifier.load(out)


@pytest.fixture
async def unsure_bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> AsyncIterator[BotHarness]:
    """Every guess is offered as a choice (CONFIDENCE_THRESHOLD=1.0), so buttons show names."""
    async with running_bot(fake, database_url, classifier, confidence_threshold=1.0) as harness:
        yield harness


async def test_buttons_and_card_show_the_chinese_labels(unsure_bot: BotHarness) -> None:
    bot = unsure_bot
    text = "公司拖欠我们的工资，老板不接电话"
    top = bot.classifier.classify(text).top
    assert {label for label, _ in top} == {label_code(name) for name in ROWS}
    names = [bot.classifier.name(label) for label, _ in top]
    assert set(names) == set(ROWS)
    resident = bot.user(RESIDENT)
    await resident.send(text)
    guess = await resident.next()
    assert guess.buttons[:3] == [f"{i}. {name}" for i, name in enumerate(names, start=1)]
    assert not any("l_" in button for button in guess.buttons)
    # The full list offers the model's labels by name too.
    await resident.press(guess.buttons[3])
    full = await resident.next()
    assert set(ROWS) <= set(full.buttons)
    await resident.press("劳动和社会保障")
    chosen = await resident.next()
    assert "劳动和社会保障" in chosen.text
    await resident.next()  # where? (社区)
    await resident.send("玉林社区 3栋")
    await resident.next()
    await resident.press("跳过")
    assert "劳动和社会保障" in (await resident.next()).text
    await resident.press("提交")
    filed = await resident.take(2)
    assert not any("l_" in (message.text or "") for message in filed)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.category == label_code("劳动和社会保障")

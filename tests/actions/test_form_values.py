"""Reading an order line and a return reason out of what the customer typed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions import form_values
from kefu.shop.queries import LineInfo


def _line(i: int, pid: str, zh: str, en: str) -> LineInfo:
    return LineInfo(i, i, pid, zh, en, 1, Decimal("99.00"))


LINES = [
    _line(11, "P0101", "耐克 轻便跑步鞋", "Nike Light Running Shoes"),
    _line(12, "P0002", "小米 降噪蓝牙耳机", "Xiaomi Noise-Cancelling Bluetooth Earbuds"),
    _line(13, "P0203", "安克 快充充电宝 Pro", "Anker Fast-Charge Power Bank Pro"),
]


@pytest.mark.parametrize(
    ("text", "line_id"),
    [
        ("the shoes", 11),
        ("那双鞋", 11),
        ("退跑步鞋", 11),
        ("the Xiaomi one", 12),
        ("小米那个", 12),
        ("earbuds", 12),
        ("充电宝", 13),
        ("P0203", 13),
        ("第二个", 12),
        ("the second one", 12),
        ("2", 12),
        ("the last one", 13),
        ("最后一个", 13),
    ],
)
def test_a_line_is_named_by_type_brand_position_or_id(text, line_id):
    assert form_values.match_line(LINES, text).id == line_id


@pytest.mark.parametrize("text", ["a garden gnome", "嗯", "KF10000123", "", "第九个"])
def test_unclear_words_name_no_line(text):
    assert form_values.match_line(LINES, text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("太小了穿不上", "size"),
        ("wrong size", "size"),
        ("size", "size"),
        ("it's defective", "quality"),
        ("收到的时候屏幕碎了", "damaged"),
        ("颜色和图片不一样", "not_as_described"),
        ("不想要了", "changed_mind"),
        ("changed my mind", "changed_mind"),
        ("发错货了", "wrong_item"),
    ],
)
def test_reasons_are_read_in_either_language(text, code):
    assert form_values.match_reason(text) == code


@pytest.mark.parametrize(
    "text", ["Xiaomi Noise-Cancelling Bluetooth Earbuds", "耐克 轻便跑步鞋", "嗯嗯"]
)
def test_a_product_name_is_no_reason(text):
    assert form_values.match_reason(text) is None


def test_reason_labels_exist_in_both_languages():
    codes = form_values.reason_codes()
    assert len(codes) >= 5
    for code in codes:
        assert form_values.reason_label(code, "zh") != form_values.reason_label(code, "en")


@pytest.mark.parametrize(
    ("text", "forgot"),
    [
        ("I don't know my order number", True),
        ("我不知道 order number", True),
        ("订单号忘了", True),
        ("i have no idea what the order no is", True),
        ("KF10000123", False),
        ("我的订单到哪了", False),
    ],
)
def test_a_forgotten_order_number_is_recognised(text, forgot):
    assert form_values.forgot_order_id(text) is forgot

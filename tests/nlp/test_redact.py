"""nlp.redact: what is masked, what survives, offsets, and hostile input."""

from __future__ import annotations

import pytest
from stdnum import luhn
from stdnum.cn import ric

from nlp.redact import ALL, KINDS, MASKS, Span, find_pii, parse_kinds, redact

ID_NUMBERS = ["11010519491231002X", "440305198808081234", "310115199202294566"]
CARDS = ["6222021234567890128", "4111111111111111", "621483012345678910", "378282246310005"]


def test_the_examples_are_valid_numbers():
    assert all(ric.is_valid(n) for n in ID_NUMBERS)
    assert all(luhn.is_valid(n) for n in CARDS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # resident ID numbers
        ("身份证号11010519491231002X，谢谢", "身份证号[ID]，谢谢"),
        ("身份证 440305 19880808 1234", "身份证 [ID]"),
        ("id: 11010519491231002x", "id: [ID]"),
        # phones: Chinese mobile and landline, international, extensions
        ("我的手机是13812345678", "我的手机是[PHONE]"),
        ("手机：138 1234 5678，晚上打", "手机：[PHONE]，晚上打"),
        ("+86 139-1234-5678", "[PHONE]"),
        ("座机010-62345678或(021)61234567", "座机[PHONE]或[PHONE]"),
        ("0755-88888888转123找我", "[PHONE]找我"),
        ("tel13912345678", "tel[PHONE]"),
        ("Call me on +44 20 7946 0958 or (415) 555-2671 ext 12.", "Call me on [PHONE] or [PHONE]."),
        ("UK mobile 07700 900123", "UK mobile [PHONE]"),
        ("HK +852-3123-4567 或 (+86) 139 1234 5678", "HK [PHONE] 或 [PHONE]"),
        ("Sydney office (03) 9123 4567", "Sydney office [PHONE]"),
        ("Tel.1-212-555-0188", "Tel.[PHONE]"),
        # e-mail
        ("邮箱zhangsan@163.com谢谢", "邮箱[EMAIL]谢谢"),
        ("write to john.doe+shop@mail.example.co.uk.", "write to [EMAIL]."),
        ("john.doe [at] example [dot] com", "[EMAIL]"),
        # bank cards
        ("卡号6222 0212 3456 7890 128，开户行工行", "卡号[CARD]，开户行工行"),
        ("card 4111-1111-1111-1111 exp 12/27", "card [CARD] exp 12/27"),
        ("amex 378282246310005", "amex [CARD]"),
        ("refund to 411111 1111111111 please", "refund to [CARD] please"),
        # addresses, zh
        ("请寄到北京市朝阳区建国路88号SOHO现代城5号楼1单元1203室，谢谢", "请寄到[ADDRESS]，谢谢"),
        ("地址：广东省深圳市南山区深南大道10000号", "地址：[ADDRESS]"),
        ("收货地址改成上海市黄浦区长乐路399弄5号", "收货地址改成[ADDRESS]"),
        ("我住在阳光花园3栋2单元501", "我住在[ADDRESS]"),
        ("河南省周口市太康县王集乡李庄村3组", "[ADDRESS]"),
        # addresses, en
        ("I live at 221B Baker Street, London NW1 6XE.", "I live at [ADDRESS]."),
        ("Ship to Flat 3, 12 Oak Road, Manchester M1 1AE please", "Ship to [ADDRESS] please"),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "[ADDRESS]"),
        ("No. 88 Jianguo Road, Chaoyang District, Beijing 100022", "[ADDRESS]"),
        ("to 5 King Street West, Toronto, ON M5H 1A1.", "to [ADDRESS]."),
        ("Blk 45 Bedok Avenue 2, #03-11, Singapore 460045", "[ADDRESS]"),
        ("7 Rue du Bac, 75007 Paris", "[ADDRESS]"),
        ("Lindenstraße 12, 10969 Berlin", "[ADDRESS]"),
        ("天津市南开区鞍山西道12号3门501", "[ADDRESS]"),
        ("重庆市渝中区解放碑路8号3-2-1，谢谢", "[ADDRESS]，谢谢"),
    ],
)
def test_masks_personal_data(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单KF10000123什么时候发货？",
        "运单号SF1234567890123，顺丰",
        "快递单号 773012345678901 还没更新",
        "中通 75312345678901",
        "价格¥1299.00，优惠后¥999",
        "order KF10000123 placed on 2024-03-15, total $129.99, 3 items",
        "2024年3月15日下单，3号发货，预计5号到",
        "SKU 20240315001 型号A1234-56",
        "product code 4006381333931 barcode",
        "身份证号11010519491231002 少了一位",
        "11010519491231003X",  # wrong check digit
        "4111111111111112",  # fails Luhn
        "我在北京市朝阳区等你",
        "这个和那个的区别是什么，超市里有卖吗，市场价多少",
        "I walked 3 miles down the road to the store",
        "Buy 2 get 1 free, size 42, colour Navy",
        "email me when it ships @support",
        "version 3.6.21 at 10:30",
        "签收时间2024-06-01 18:45:10",
        "pickup 01/06/2024 18:45",
        "ref INV-2023-004567",
        "see photo@3x.jpg and banner@2x.png",
        "我知道15号能到",
        "mail me at home. Thanks",
    ],
)
def test_leaves_other_text_alone(text):
    assert redact(text) == text
    assert find_pii(text) == []


def test_spans_are_offsets_into_the_original_text():
    text = "电话：１３８１２３４５６７８，邮箱ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ"  # full width
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["phone", "email"]
    assert text[spans[0].start : spans[0].end] == "１３８１２３４５６７８"
    assert text[spans[1].start : spans[1].end] == "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ"
    assert redact(text) == "电话：[PHONE]，邮箱[EMAIL]"


def test_offsets_survive_characters_that_fold_to_several():
    # "㎏" and "①" fold to two/one characters; the spans still slice the original.
    text = "5㎏①⑩ 13812345678 ㎏ a@b.cn"
    for span in find_pii(text):
        assert text[span.start : span.end] in {"13812345678", "a@b.cn"}
    assert redact(text) == "5㎏①⑩ [PHONE] ㎏ [EMAIL]"


def test_spans_are_sorted_and_never_overlap():
    text = "13812345678@qq.com 11010519491231002X 6222021234567890128 13912345678"
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["email", "id_card", "bank_card", "phone"]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert spans[0] == Span("email", 0, 18)


def test_kinds_limit_what_is_masked():
    text = "a@b.com 13812345678 11010519491231002X"
    assert redact(text, kinds={"email"}) == "[EMAIL] 13812345678 11010519491231002X"
    assert redact(text, kinds=["phone", "id_card"]) == "a@b.com [PHONE] [ID]"
    assert redact(text, kinds=ALL) == "[EMAIL] [PHONE] [ID]"


def test_parse_kinds():
    assert parse_kinds("phone, email") == {"phone", "email"}
    assert parse_kinds("all") == ALL
    assert set(KINDS) == set(MASKS) == ALL
    with pytest.raises(ValueError, match="unknown kind"):
        parse_kinds("phone,ssn")
    with pytest.raises(ValueError, match="no kind"):
        parse_kinds(" , ")
    with pytest.raises(ValueError, match="unknown kind"):
        redact("x", kinds={"ssn"})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ud800 13812345678 \udfff",
        "\x00\x1b[31m a@b.com\x7f\u202e\ufeff",
        "\n\n\r\t",
        "路号栋单元室" * 50,
        "@" * 1000 + ".com",
        "1" * 5000,
    ],
)
def test_hostile_input_does_not_crash_and_keeps_the_rest(text):
    out = redact(text)
    assert isinstance(out, str)
    for ch in "\ud800\udfff\x00\x1b\u202e\ufeff\r":
        assert out.count(ch) == text.count(ch)


def test_lone_surrogates_around_a_phone():
    assert redact("\ud80013812345678\udfff") == "\ud800[PHONE]\udfff"


def test_a_megabyte_of_text():
    line = "订单KF10000123 手机13812345678 寄到北京市朝阳区建国路88号 a@b.com\n"
    text = line * (1_000_000 // len(line))
    out = redact(text)
    assert (
        out.count("[PHONE]") == out.count("[EMAIL]") == out.count("[ADDRESS]") == text.count("\n")
    )
    assert out.count("KF10000123") == text.count("\n")

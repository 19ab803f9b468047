import pytest

from customers.phones import InvalidPhone, format_phone, normalize_phone, search_key


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("021-61234567", "02161234567"),
        ("(021) 6123 4567", "02161234567"),
        ("010-88886666", "01088886666"),
        ("0571-8888888", "05718888888"),
        ("0755 86013388", "075586013388"),
        ("+86 21 6123 4567", "02161234567"),
        ("021-61234567 转 808", "02161234567-808"),
        ("021-61234567 ext 12", "02161234567-12"),
        ("4008123123", "4008123123"),
        ("（021）61234567", "02161234567"),
    ],
)
def test_every_written_form_becomes_one_normal_form(raw, normal):
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize(
    "raw", ["", "12345", "1380013800", "138001380001", "23800138000", "abc", "021-123", "12800138000"]
)
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("normal", "shown"),
    [
        ("13800138000", "138 0013 8000"),
        ("02161234567", "021-61234567"),
        ("05718888888", "0571-8888888"),
        ("02161234567-808", "021-61234567 转 808"),
    ],
)
def test_display_form(normal, shown):
    assert format_phone(normal) == shown


def test_search_key_keeps_digits_and_drops_the_country_code():
    assert search_key("138-0013") == "1380013"
    assert search_key("+86 138 0013 8000") == "13800138000"
    assert search_key("021-6123") == "0216123"

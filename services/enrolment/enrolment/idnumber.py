"""Resident ID numbers (GB 11643-1999): structure, ISO 7064 MOD 11-2 check character, and the
birth date and sex they encode."""

from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


class IdNumberError(ValueError):
    """The message is in Chinese for families; `en` carries the English one."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    address_code: str
    birth_date: date
    sex: str  # "male" | "female"


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse(raw: str, *, today: date | None = None) -> ResidentId:
    number = "".join(raw.split()).upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise IdNumberError(
            "身份证号应为18位：前17位为数字，最后一位为数字或X",
            "An ID number has 18 characters: 17 digits, then a digit or X",
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            "身份证号校验位不正确，请核对是否输错",
            "The ID number's check character is wrong; check for a typing mistake",
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(
            "身份证号中的出生日期不是有效日期", "The birth date in the ID number is not a real date"
        ) from None
    if birth > (today or date.today()) or birth.year < 1800:
        raise IdNumberError(
            "身份证号中的出生日期不合理", "The birth date in the ID number is not plausible"
        )
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number, number[:6], birth, sex)


def make(address_code: str, birth: date, sequence: int) -> str:
    """Build a valid number (demo data, tests, benchmarks): sequence 0–999, odd = male."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)

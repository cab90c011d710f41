"""The vocabulary of pay in advert text: regular expressions for amounts, periods, ranges and the
noise (dates, bands, hours, turnover) that holds digits but no pay. All apply to lower-cased text.

:mod:`skills_engine.data.salary` reads a salary string with them; they live apart so that the
parser's logic reads without a page of patterns in between.
"""

from __future__ import annotations

import re

# Thousands separated by commas (tolerating a stray space: "£37, 020"), or plain digits.
NUMBER = r"\d{1,3}(?:,\s?\d{3}(?!\d))+(?:\.\d+)?|\d+(?:\.\d+)?"
# Not glued to a preceding number or word ("ref12345", "nvq2"), except "c25k" (circa).
NOT_GLUED = r"(?<![\d.,])(?<![a-bd-z])(?<![a-z]c)"

MOJIBAKE_POUND = re.compile(r"[âã]£|&pound;")
DASHES = re.compile(r"[\u2010-\u2015\u2212]")
GBP_WORD = re.compile(r"(?<![a-z])gbp(?![a-z])\s*")
MASK = re.compile(r"\*{2,}")
DIGIT = re.compile(r"\d")
POUND = re.compile(r"£|(?<![a-z])pounds?(?![a-z])|(?<![a-z])stg(?![a-z])")
FOREIGN = re.compile(r"€|‚¬|\$|(?<![a-z])(?:eur|euros?|usd|dollars?)(?![a-z])")

MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
LEAD = rf"(?<![\d.,£]){NOT_GLUED}(?<!£\s)"  # a bare number, not an amount in pounds
NOISE = re.compile(
    "|".join(
        [
            # dates: 01/02/2021, 1st march 2021, march 2021
            r"(?<![\d.,])\d{1,2}([/.-])\d{1,2}\1\d{2,4}(?!\d|[.,]\d)",
            rf"(?<![\d.,])\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})[a-z]*\.?(?:\s+\d{{4}})?",
            rf"(?<![a-z])(?:{MONTHS})[a-z]*\.?\s+\d{{4}}(?!\d|[.,]\d)",
            # clock times and 24/7
            rf"{LEAD}\d{{1,2}}(?:[:.]\d{{2}})?\s?(?:am|pm)(?![a-z])",
            r"(?<![\d.,])24\s*/\s*7(?!\d|[.,]\d)",
            # UK postcodes (NP22 5PW) and financial years (2020/21, 2020-21)
            r"(?<![a-z\d])[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}(?![a-z])",
            r"(?<![\d.,£])(?:19|20)\d{2}\s*[/-]\s*\d{2}(?!\d|[.,]\d)",
            # percentages
            r"\d+(?:\.\d+)?\s*(?:%|per\s*cent)",
            # labels: band 5, band 8a-8b, level 3, grade 7, year 1, scp 23, nvq 2, ref 12
            r"(?<![a-z])(?:bands?|level|grade|step|spine\s+point|point|scp|nvq|tier|stage|"
            r"key\s+stage|ks|year|yr|afc|ref|no\.?|number)\s*:?\s*#?\d{1,2}[a-d]?(?!\d|[.,]\d)"
            r"(?:\s*(?:-|/|&|and|to|or)\s*\d{1,2}[a-d]?(?!\d|[.,]\d))*",
            # multipliers: "2 x £500"
            rf"{LEAD}\d{{1,2}}\s*x(?![a-z])",
            # counts and durations: 37.5 hours per week, 2 years, 30 days holiday, 3 positions
            rf"{LEAD}\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*\+?\s*"
            r"(?:hours?|hrs?|h(?=\s*(?:per|a|/|p\.?\s?w))|days?(?!\s*rate)|weeks?|wks?|months?|"
            r"mths?|years?|yrs?|sessions?|pas|nights?|shifts?|positions?|posts?|roles?|"
            r"vacanc(?:y|ies)|staff|people|miles?|minutes?|mins?|weekends?|beds?|sites?)(?![a-z])"
            r"(?:\s*(?:per|an?|each|/|p)\s*\.?\s*(?:week|wk|w|month|m|day|d|year|yr|annum|"
            r"fortnight)(?![a-z]))?",
            # business figures: £1.5m, £2 million, £1,500,000 turnover, budget of £300k
            rf"(?:£\s*)?{NOT_GLUED}(?:{NUMBER})\s*(?:m|mn|mil|million|bn|billion)(?![a-z])",
            rf"(?:£\s*)?{NOT_GLUED}(?:{NUMBER})\s*k?\s*(?:turnover|revenue|budget|portfolio|"
            r"p&l|funding|investment|capital|aum|contract\s+value|project\s+value)",
            r"(?:turnover|revenue|budget|portfolio|p&l|funding|investment|capital|aum|"
            rf"contract\s+value|project\s+value)\s*(?:of\s*)?(?:£\s*)?(?:{NUMBER})\s*k?",
        ]
    )
)

AMOUNT = re.compile(
    rf"(?P<cur>£\s*)?(?:(?P<mask>\*{{2,}}[\d,.*]*)|{NOT_GLUED}(?P<num>{NUMBER}))"
    r"(?P<k>\s?k(?![a-z])|k(?=p\.?[ahdwm](?![a-z])))?"
    r"(?P<plus>\+)?"
)

WORD = r"(?<![a-z])"
PERIOD = re.compile(
    "|".join(
        [
            rf"(?P<other>{WORD}(?:per|an?|each)\s+(?:session|shift|visit|night|sleep|call|"
            r"mile|case|lesson|class|item|unit|job|head|piece|patient|appointment|sitting|"
            r"clinic|assessment|report|delivery|drop|hour\s+session)s?(?![a-z])"
            r"|/\s*(?:session|shift|visit|night|mile)s?(?![a-z]))",
            rf"(?P<hour>{WORD}(?:per|an?|each)\s+(?:hour|hr)s?(?![a-z])"
            r"|/\s*(?:hour|hr|h)s?(?![a-z])"
            rf"|{WORD}p\s*/\s*h(?:r|our)?(?![a-z])"
            rf"|{WORD}p\.?\s?hr?\.?(?![a-z])"
            rf"|{WORD}hourly)",
            rf"(?P<day>{WORD}(?:per|a|each)\s+day(?![a-z])"
            r"|/\s*(?:day|d)(?![a-z])"
            rf"|{WORD}p\s*/\s*d(?![a-z])"
            rf"|{WORD}p\.?\s?d\.?(?![a-z])"
            rf"|{WORD}daily|{WORD}day\s*rate|{WORD}per\s+diem)",
            rf"(?P<week>{WORD}(?:per|a|each)\s+(?:week|wk)(?![a-z])"
            r"|/\s*(?:week|wk|w)(?![a-z])"
            rf"|{WORD}p\s*/\s*w(?![a-z])"
            rf"|{WORD}p\.?\s?w\.?(?![a-z])"
            rf"|{WORD}weekly)",
            rf"(?P<month>{WORD}(?:per|a|each)\s+(?:calendar\s+)?(?:month|mth)(?![a-z])"
            r"|/\s*(?:month|mth|m)(?![a-z])"
            rf"|{WORD}p\s*/\s*m(?![a-z])"
            rf"|{WORD}p\.?\s?c\.?\s?m\.?(?![a-z])"
            rf"|{WORD}p\.?\s?m\.?(?![a-z])"
            rf"|{WORD}monthly)",
            rf"(?P<year>{WORD}(?:per|a|each)\s+(?:year|yr|annum)(?![a-z])"
            r"|/\s*(?:year|yr|annum|pa)(?![a-z])"
            rf"|{WORD}p\s*/\s*a(?![a-z])"
            rf"|{WORD}p\.?\s?a\.?(?![a-z])"
            rf"|{WORD}annum|{WORD}annually|{WORD}yearly"
            # "annual" alone, but not "annual leave", "12.1% annual leave", "annual bonus"
            rf"|{WORD}annual(?![a-z])(?!\s+(?:leave|bonus|holiday|increment|review|"
            r"entitlement|incentive|allowance|pay\s+rise)))",
        ]
    )
)

# What may separate the two ends of a range, an optional period word aside.
RANGE_GAP = re.compile(r"\s*(?:-+|to|(?:-\s*)?(?:rising|increasing|up)\s*to|-\s*to|upto)\s*")
AND_GAP = re.compile(r"\s*(?:and|&)\s*")
BETWEEN = re.compile(r"between\s*$")
LIST_GAP = re.compile(r"\s*[/,]?\s*")
PENCE = re.compile(r"\d+\.\d{2}")
DOT_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
UP_TO = re.compile(
    r"(?:up\s*to|upto|to|max(?:imum)?\.?|capped\s+at|not\s+exceeding|under|below|less\s+than)"
    r"\s*:?\s*$"
)
FROM = re.compile(
    r"(?:from|starting(?:\s+(?:at|from|salary))?|start(?:ing)?\s+at|min(?:imum)?\.?|at\s+least|"
    r"in\s+excess\s+of|over|more\s+than|above)\s*:?\s*$"
)

#: Accepted unit hints (schema.org unitText and plain words), lower-cased.
HINTS: dict[str, str] = {
    "hour": "hour", "hours": "hour", "hourly": "hour", "hr": "hour", "per hour": "hour",
    "day": "day", "days": "day", "daily": "day", "per day": "day",
    "week": "week", "weeks": "week", "weekly": "week", "per week": "week",
    "month": "month", "months": "month", "monthly": "month", "per month": "month",
    "year": "year", "years": "year", "yearly": "year", "annual": "year", "annum": "year",
    "per annum": "year", "per year": "year", "annually": "year",
}  # fmt: skip


# --- helpers -------------------------------------------------------------------------------

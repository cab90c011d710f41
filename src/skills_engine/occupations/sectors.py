"""Occupations to Indeed Hiring Lab sectors, for growth figures.

Indeed publishes its job postings index for 48 occupational sectors with two example titles
each, but no crosswalk to ISCO. The table below is a hand-written correspondence from ISCO-08
groups (longest matching code prefix wins) to those sectors, written from the ISCO-08 group
definitions and Indeed's example titles. Groups with no sensible Indeed sector (farming,
forestry, fishing) map to nothing, and the growth figure then says so.
"""

from __future__ import annotations

import pandas as pd


#: ISCO-08 code prefix -> Indeed sector. Longest prefix wins.
ISCO_TO_SECTOR: dict[str, str | None] = {
    "0": "Security & Public Safety",
    "11": "Management", "12": "Management", "13": "Management", "14": "Management",
    "211": "Scientific Research & Development", "212": "Mathematics", "213": "Scientific Research & Development",
    "214": "Industrial Engineering", "2142": "Civil Engineering", "215": "Electrical Engineering",
    "216": "Architecture", "2163": "Arts & Entertainment", "2166": "Arts & Entertainment",
    "221": "Physicians & Surgeons", "222": "Nursing", "223": "Therapy", "224": "Medical Technician",
    "225": "Veterinary", "226": "Therapy", "2261": "Dental", "2262": "Pharmacy", "2263": "Scientific Research & Development",
    "2267": "Physicians & Surgeons",
    "23": "Education & Instruction", "2342": "Childcare",
    "2411": "Accounting", "2412": "Banking & Finance", "2413": "Banking & Finance",
    "2421": "Project Management", "2422": "Management", "2423": "Human Resources", "2424": "Human Resources",
    "2431": "Marketing", "2432": "Marketing", "2433": "Sales", "2434": "Sales",
    "251": "Software Development", "252": "IT Operations & Helpdesk",
    "261": "Legal", "262": "Information Design & Documentation", "2631": "Mathematics", "2632": "Scientific Research & Development",
    "2633": "Scientific Research & Development", "2634": "Therapy", "2635": "Community & Social Service",
    "2636": "Community & Social Service", "264": "Media & Communications", "265": "Arts & Entertainment",
    "311": "Industrial Engineering", "312": "Construction", "3122": "Production & Manufacturing",
    "313": "Production & Manufacturing", "314": "Scientific Research & Development", "315": "Logistic Support",
    "321": "Medical Technician", "3213": "Pharmacy", "3214": "Dental", "322": "Nursing", "323": "Therapy",
    "324": "Veterinary", "325": "Medical Technician", "3251": "Dental", "3252": "Medical Information",
    "3253": "Personal Care & Home Health", "3255": "Therapy", "3257": "Security & Public Safety",
    "331": "Banking & Finance", "3313": "Accounting", "332": "Sales", "3321": "Insurance",
    "3331": "Logistic Support", "3332": "Hospitality & Tourism", "3333": "Human Resources", "3334": "Sales", "3339": "Sales",
    "334": "Administrative Assistance", "3342": "Legal", "3344": "Medical Information", "335": "Management",
    "3411": "Legal", "3412": "Community & Social Service", "3413": "Community & Social Service", "342": "Sports",
    "3431": "Media & Communications", "3432": "Architecture", "3433": "Arts & Entertainment",
    "3434": "Food Preparation & Service", "3435": "Arts & Entertainment",
    "35": "IT Operations & Helpdesk",
    "41": "Administrative Assistance", "42": "Customer Service", "4221": "Hospitality & Tourism", "4224": "Hospitality & Tourism",
    "431": "Accounting", "432": "Logistic Support", "44": "Administrative Assistance",
    "511": "Hospitality & Tourism", "512": "Food Preparation & Service", "513": "Food Preparation & Service",
    "514": "Beauty & Wellness", "515": "Cleaning & Sanitation", "516": "Personal Care & Home Health", "5164": "Veterinary",
    "52": "Retail", "531": "Childcare", "532": "Personal Care & Home Health", "54": "Security & Public Safety",
    "6": None,
    "71": "Construction", "72": "Production & Manufacturing", "723": "Installation & Maintenance",
    "73": "Production & Manufacturing", "74": "Installation & Maintenance", "75": "Production & Manufacturing",
    "81": "Production & Manufacturing", "82": "Production & Manufacturing", "83": "Driving", "8344": "Loading & Stocking",
    "91": "Cleaning & Sanitation", "92": None, "931": "Construction", "932": "Production & Manufacturing",
    "933": "Loading & Stocking", "94": "Food Preparation & Service", "95": "Retail", "96": "Cleaning & Sanitation",
    "9621": "Hospitality & Tourism",
}


def sector_for_isco(code: object) -> str | None:
    """Indeed sector for an ISCO-08 code (longest matching prefix), or ``None``.

    >>> sector_for_isco("2221"), sector_for_isco("2261"), sector_for_isco("6111")
    ('Nursing', 'Dental', None)
    """
    text = str(code or "").strip()
    for length in range(len(text), 0, -1):
        if text[:length] in ISCO_TO_SECTOR:
            return ISCO_TO_SECTOR[text[:length]]
    return None



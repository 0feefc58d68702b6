"""The planted story: volumes, mixes and compliance rates, in one readable place.

Figures cite `docs/domain.md` (public sources) or are marked *assumed*. Codes themselves are never
listed here as the truth: they come from `seeds/`; this module only attaches weights to them, and the
generator checks that every weight refers to a code that exists in the seeds.

Compliance rates are the NATIONAL rate planted for Q4 (January-March, the annual audit view) of each fiscal
year. Quarters 1-3 ramp linearly from the previous year's Q4. Division offsets move divisions around the
national rate; the failure count of each (year, quarter) is fixed nationally first and then shared out among
divisions, so the national figure comes out at the planted rate to within one record.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------------------
# Volumes (domain.md "Volumes")
# ---------------------------------------------------------------------------------------------------------

#: ~1.5 million incidents a year, about 4,100 a day (2020-21: 1,506,805).
INCIDENTS_PER_DAY = 4_120.0
#: Day-of-week factors Monday..Sunday (*assumed* weekly rhythm: busier Friday/Saturday).
WEEKDAY_FACTOR = (0.95, 0.94, 0.95, 0.97, 1.07, 1.12, 1.00)
#: Seasonal amplitude (*assumed*: summer ~6% busier than winter).
SEASONAL_AMPLITUDE = 0.06
#: Share of incidents per local hour 00..23 (*assumed* daily rhythm: quiet 03-07, busy afternoon/evening).
HOURLY_WEIGHT = (
    3.6, 3.0, 2.5, 1.8, 1.4, 1.3, 1.6, 2.4, 3.4, 4.0, 4.3, 4.5,
    4.6, 4.7, 4.8, 5.0, 5.3, 5.5, 5.6, 5.6, 5.4, 5.0, 4.6, 4.1,
)  # fmt: skip

#: "About one incident in three leads to a crime or offence record": share of incidents closed SC01.
SC01_SHARE = 0.305
#: Disposal mix of the non-crime incidents (*assumed*; codes from seeds/disposal_codes.csv).
NON_CRIME_DISPOSAL_MIX = {"NC01": 0.35, "NC02": 0.45, "NC03": 0.08, "NC04": 0.12}
#: Incidents that are never closed within the data (*assumed*).
OPEN_FOREVER_SHARE = 0.002
#: Crime-related incidents that give rise to two crimes (*assumed*).
TWO_CRIME_SHARE = 0.05
#: Crime-related incidents still open at the end of the data that already have a crime (*assumed*).
OPEN_SC01_WITH_CRIME_SHARE = 0.6
#: Incidents closed as non-crime that nevertheless link to a crime (warning case, *assumed*).
NON_CRIME_INCIDENT_WITH_CRIME_SHARE = 0.002
#: Crimes recorded without an incident, per incident (*assumed*, brings crimes to ~486k/yr at scale 1).
UNLINKED_CRIMES_PER_INCIDENT = 0.04
#: Linked crimes recorded in another division than their incident's (*assumed*).
OTHER_DIVISION_SHARE = 0.007
#: Share of crimes later reclassified as No Crime (domain.md: *assumed* 2-4%).
NO_CRIME_SHARE = 0.032
#: Share of linked crimes whose first report predates the incident by up to 20 minutes (*assumed*).
REPORTED_BEFORE_INCIDENT_SHARE = 0.2

#: Records placed within minutes of quarter boundaries and clock changes, per window at scale 1.
EDGE_RECORDS_PER_WINDOW = 250
#: Minimum of the above at any scale, so small runs still exercise the edges.
EDGE_RECORDS_MIN = 4

# ---------------------------------------------------------------------------------------------------------
# Crime mix (domain.md "Volumes": recorded crimes and offences 2020-21 by group)
# ---------------------------------------------------------------------------------------------------------

#: Legacy group volumes 2020-21 (group 6 = miscellaneous offences, 7 = motor vehicle offences).
LEGACY_GROUP_VOLUME = {
    "1": 8_972,
    "2": 13_131,
    "3": 89_731,
    "4": 42_964,
    "5": 70_737,
    "COVID": 20_976,
    "6": 124_120,
    "7": 116_054,
}
#: Split of each group among its codes (*assumed* shares; codes absent here share the rest equally).
CODE_SHARE_IN_GROUP = {
    "0101": 0.007, "0102": 0.035, "0110": 0.42, "0120": 0.20, "0130": 0.338,
    "0201": 0.18, "0210": 0.32, "0220": 0.30, "0230": 0.20,
    "0301": 0.15, "0310": 0.06, "0320": 0.30, "0330": 0.18, "0340": 0.31,
    "0401": 0.08, "0410": 0.92,
    "0420": 0.05, "0501": 0.40, "0510": 0.07, "0520": 0.10, "0530": 0.38,
    "0140": 0.50, "0601": 0.30, "0610": 0.08, "0620": 0.02, "0630": 0.10,
    "0701": 0.35, "0710": 0.35, "0720": 0.30,
    "0901": 1.0,
}  # fmt: skip
#: Coronavirus restrictions offences: full weight in the first restrictions year, a quarter of it while
#: restrictions eased, none otherwise (*assumed* dates around the 2020-2022 regulations).
COVID_FULL = ("2020-03-26", "2021-04-01")
COVID_REDUCED = ("2021-04-01", "2022-02-25")
COVID_REDUCED_FACTOR = 0.25

#: Which incident type a crime of each category usually comes from (*assumed*). Types must allow the
#: category in seeds/incident_type_allowed_categories.csv (checked at start-up).
TYPE_AFFINITY_BY_CATEGORY = {
    "VIOLENCE": {"ASSAULT": 0.6, "DOMESTIC": 0.2, "DISTURBANCE": 0.2},
    "SEXUAL": {"SEXUAL": 0.75, "DOMESTIC": 0.1, "ONLINE_HARM": 0.15},
    "DISHONESTY": {"THEFT": 1.0},
    "DAMAGE": {"VANDALISM": 0.85, "DOMESTIC": 0.15},
    "SOCIETY": {"DRUGS": 0.6, "WEAPONS": 0.3, "ONLINE_HARM": 0.1},
    "ANTISOCIAL": {"DISTURBANCE": 0.8, "DOMESTIC": 0.1, "ONLINE_HARM": 0.1},
    "ROAD_TRAFFIC": {"ROAD_TRAFFIC": 1.0},
}
TYPE_AFFINITY_BY_CODE = {
    "0120": {"ROBBERY": 0.85, "ASSAULT": 0.15},
    "0130": {"DOMESTIC": 1.0},
    "0230": {"ONLINE_HARM": 0.6, "SEXUAL": 0.4},
    "0220": {"ONLINE_HARM": 0.4, "SEXUAL": 0.6},
    "0301": {"HOUSEBREAKING": 1.0},
    "0330": {"FRAUD": 1.0},
    "0401": {"FIRE": 1.0},
    "0420": {"VANDALISM": 0.5, "FIRE": 0.5},
    "0501": {"DRUGS": 1.0},
    "0510": {"DRUGS": 1.0},
    "0520": {"WEAPONS": 1.0},
    "0530": {"SUSPICIOUS": 0.3, "OTHER": 0.7},
    "0901": {"OTHER": 0.7, "SUSPICIOUS": 0.3},
    "0630": {"ONLINE_HARM": 0.7, "DISTURBANCE": 0.3},
}
#: Crime-related incidents typed as a catch-all type (any category allowed) (*assumed*).
ANY_TYPE_SHARE = 0.07
ANY_TYPE_MIX = {"CONCERN_FOR_PERSON": 0.3, "SUSPICIOUS": 0.4, "OTHER": 0.3}
#: Types of incidents closed as non-crime (*assumed*; types not listed get a small equal share).
NON_CRIME_TYPE_MIX = {
    "CONCERN_FOR_PERSON": 0.25, "SUSPICIOUS": 0.15, "OTHER": 0.20, "DISTURBANCE": 0.12, "ROAD_TRAFFIC": 0.08,
    "THEFT": 0.05, "DOMESTIC": 0.05, "ASSAULT": 0.03, "VANDALISM": 0.03, "FRAUD": 0.02, "ONLINE_HARM": 0.02,
}  # fmt: skip
NON_CRIME_OTHER_TYPES_SHARE = 0.002
#: Closed incidents whose final type was never filled in (TEST2 then uses the initial type) (*assumed*).
FINAL_TYPE_MISSING_SHARE = 0.03
#: Closed incidents whose final type differs from the type given at the first call (*assumed*).
RETYPED_SHARE = 0.15
RETYPED_FROM_MIX = {"SUSPICIOUS": 0.35, "DISTURBANCE": 0.25, "CONCERN_FOR_PERSON": 0.25, "OTHER": 0.15}

#: cyber_flag probability by incident type (*assumed*; overall ~6% of incidents).
CYBER_FLAG_P_BY_TYPE = {"ONLINE_HARM": 0.85, "FRAUD": 0.5, "SEXUAL": 0.15}
CYBER_FLAG_P_DEFAULT = 0.04
#: Crimes without an incident carrying a cyber marker, for the codes most often online (*assumed*).
UNLINKED_CYBER_MARKER_P = {"0330": 0.45, "0230": 0.6, "0630": 0.6, "0220": 0.4}

#: Grades, channels and closing units (*assumed*; codes from seeds).
CHANNEL_MIX = {"999": 0.22, "101": 0.58, "ONLINE": 0.08, "STATION": 0.05, "OTHER": 0.07}
CLOSING_UNIT_MIX_SC01 = {"RESOLUTION_TEAM": 0.13, "LOCAL_POLICING": 0.70, "SPECIALIST": 0.08, "ACR": 0.09}
CLOSING_UNIT_MIX_NC = {"ACR": 0.35, "RESOLUTION_TEAM": 0.15, "LOCAL_POLICING": 0.45, "SPECIALIST": 0.05}
GRADE_MIX_BY_CLOSING_UNIT = {
    "RESOLUTION_TEAM": {"STANDARD": 0.45, "OTHER_RESOLUTION": 0.55},
    "ACR": {"PROMPT": 0.10, "STANDARD": 0.40, "OTHER_RESOLUTION": 0.50},
    "LOCAL_POLICING": {"IMMEDIATE": 0.20, "PROMPT": 0.45, "STANDARD": 0.35},
    "SPECIALIST": {"IMMEDIATE": 0.25, "PROMPT": 0.45, "STANDARD": 0.30},
}
#: Median hours from first call to closure by grade, and the share closed days later (*assumed*).
CLOSE_MEDIAN_HOURS = {"IMMEDIATE": 1.5, "PROMPT": 3.0, "STANDARD": 8.0, "OTHER_RESOLUTION": 24.0}
CLOSE_LONG_TAIL_SHARE = 0.06
#: Recording unit of a linked crime given the closing unit of its incident (*assumed*). Resolution Team
#: recording comes out at ~12% of crimes (the source paper's concern).
RECORDING_UNIT_BY_CLOSING_UNIT = {
    "RESOLUTION_TEAM": {"RESOLUTION_TEAM": 0.92, "LOCAL_POLICING": 0.08},
    "SPECIALIST": {"SPECIALIST": 0.8, "CIMU": 0.2},
    "LOCAL_POLICING": {"LOCAL_POLICING": 0.85, "CIMU": 0.15},
    "ACR": {"LOCAL_POLICING": 0.5, "CIMU": 0.5},
}
RECORDING_UNIT_MIX_UNLINKED = {
    "LOCAL_POLICING": 0.55,
    "CIMU": 0.25,
    "SPECIALIST": 0.10,
    "RESOLUTION_TEAM": 0.10,
}

# ---------------------------------------------------------------------------------------------------------
# Planted compliance: national Q4 rates (%) per fiscal year (the annual audit view)
# ---------------------------------------------------------------------------------------------------------

NATIONAL_Q4_RATE_PCT: dict[str, dict[str, float]] = {
    # TEST1/TEST2: "all three tests improved" 2018/19 -> 2020/21 (source paper); 2019/20 = HMICS Crime Audit
    # 2020 (Jan-Mar 2020): 91.4% of incidents closed correctly, 90.8% of crimes counted and classified.
    "TEST1": {"2017/18": 89.2, "2018/19": 90.1, "2019/20": 91.4, "2020/21": 93.6, "2021/22": 94.8},
    "TEST2": {"2017/18": 88.9, "2018/19": 89.7, "2019/20": 90.8, "2020/21": 92.9, "2021/22": 94.1},
    # No Crime compliance rose from 94.86% (2018/19) to 97.81% (2020/21) (source paper).
    "NOCRIME": {"2017/18": 93.9, "2018/19": 94.86, "2019/20": 96.2, "2020/21": 97.81, "2021/22": 98.1},
    # 72-hour recording: 91.1% nationally in Jan-Mar 2020 (HMICS); other years *assumed*.
    "TIMELY72": {"2017/18": 89.6, "2018/19": 90.3, "2019/20": 91.1, "2020/21": 92.4, "2021/22": 93.0},
    # Cyber marker: 94.64% in the 2020/21 audit sample (source paper); other years *assumed*.
    "CYBER": {"2017/18": 88.5, "2018/19": 90.6, "2019/20": 92.7, "2020/21": 94.64, "2021/22": 95.3},
}
#: For a year before the table's first, Q1-Q3 ramp from this much below its Q4 (*assumed*).
FIRST_YEAR_RAMP_PP = 0.8

#: Division offsets in percentage points (relative: the national count is fixed first). HMICS 2020:
#: 72-hour recording ranged from 70.7% in Dumfries and Galloway (V) to 98.6% in Highlands and Islands (N);
#: other offsets *assumed*.
DIVISION_OFFSET_PP: dict[str, dict[str, float]] = {
    "TEST1": {"A": 1.0, "D": 2.0, "N": 3.0, "C": -1.5, "E": -2.5, "J": 0.0, "P": 1.0,
              "G": -1.0, "K": -0.5, "L": 1.5, "Q": -2.0, "U": 0.5, "V": -1.0},
    "TEST2": {"A": 0.5, "D": 1.5, "N": 2.5, "C": -1.0, "E": -1.5, "J": 0.5, "P": 0.0,
              "G": -1.5, "K": 1.0, "L": 0.0, "Q": -1.0, "U": 1.0, "V": -2.0},
    "NOCRIME": {"A": 0.0, "D": 1.0, "N": 1.5, "C": -1.0, "E": -1.0, "J": 0.0, "P": 0.5,
                "G": -0.5, "K": 0.0, "L": 1.0, "Q": -1.5, "U": 0.5, "V": -1.0},
    "TIMELY72": {"A": 1.5, "D": 0.5, "N": 6.5, "C": -1.0, "E": -2.0, "J": 0.5, "P": 1.0,
                 "G": -1.5, "K": 0.5, "L": 2.0, "Q": -1.0, "U": 0.0, "V": -14.0},
    "CYBER": {"A": 1.0, "D": 0.0, "N": -2.0, "C": 0.0, "E": 1.5, "J": 0.0, "P": -1.0,
              "G": 0.5, "K": -1.0, "L": -3.0, "Q": 0.0, "U": 0.0, "V": -2.0},
}  # fmt: skip
#: Modest improvement in a division's quarters that start on/after its crime-system go-live (*assumed*).
GO_LIVE_BONUS_PP = 1.5
#: Division rates are kept inside this range before shares are taken.
RATE_FLOOR, RATE_CEILING = 0.50, 0.999

#: Resolution Team recorded crimes are noticeably less timely (source paper's one new recommendation): a
#: Resolution Team crime is this many times as likely as another crime in its cell to be the late one.
RT_LATE_WEIGHT = 3.0
#: Hours from first report to recording (*assumed*): compliant crimes lognormal with this median (capped
#: at 70 h), late ones 74 h plus an exponential tail.
RECORD_MEDIAN_HOURS = 2.5
RECORD_MEDIAN_HOURS_RT = 8.0
LATE_EXTRA_MEAN_DAYS = 4.0

#: No Crime: days from recording to reclassification (*assumed* median).
NO_CRIME_MEDIAN_DAYS = 12.0
#: Failure reasons planted on failing No Crime records, first reason (*assumed* realistic mix); a second
#: reason is added with SECOND_REASON_SHARE. Victim-only reasons are redrawn on non-victim codes.
NOCRIME_REASON_MIX = {
    "INVALID_REASON": 0.12,
    "PROCEDURAL_ERROR_ON_VICTIM_CRIME": 0.10,
    "MISSING_REQUESTER_OR_AUTHORISER": 0.18,
    "SELF_AUTHORISED": 0.08,
    "UNAUTHORISED_ROLE": 0.22,
    "COMPLAINER_NOT_INFORMED": 0.30,
}
SECOND_REASON_SHARE = 0.2
#: Invalid reason texts (None = empty). Includes a lower-case valid word (invalid: must match exactly)
#: and texts needing CSV quoting.
INVALID_REASON_TEXTS = (
    None,
    "NOT A CRIME",
    "DUPLICATE",
    "credible_information",
    "No crime, complainer withdrew",
    'Complainer said "mistake"',
    "OTHER",
)
#: Valid reasons occasionally written with surrounding spaces (still valid after trimming).
PADDED_REASON_SHARE = 0.02

# ---------------------------------------------------------------------------------------------------------
# Training (domain.md "Workforce": ~16,600 officers and ~5,800 staff)
# ---------------------------------------------------------------------------------------------------------

PEOPLE_AT_SCALE_1 = 22_000
PEOPLE_MIN = 300
UNIT_MIX = {"DIVISION": 0.75, "C3": 0.12, "SCD": 0.08, "OSD": 0.05}
CLUSTER_MIX_BY_UNIT = {
    "DIVISION": {"FRONTLINE": 0.70, "PROBATIONER": 0.10, "CRIME_MANAGEMENT": 0.10, "SPECIALIST": 0.10},
    "C3": {"C3": 0.90, "CRIME_MANAGEMENT": 0.10},
    "SCD": {"SPECIALIST": 0.80, "CRIME_MANAGEMENT": 0.20},
    "OSD": {"SPECIALIST": 0.70, "FRONTLINE": 0.30},
}
#: Share of people assigned each course they are meant for; "ALL" courses by code (*assumed*).
COURSE_ASSIGN_P = {"SCRS_REFRESHER": 0.85, "COS_CRIME": 0.70}
COURSE_ASSIGN_P_DEFAULT = 0.95
#: The national crime system course is assigned from this date on (*assumed*, ahead of the D pilot).
COS_COURSE_FROM = "2020-10-01"
#: Chance an assignment is ever completed rises from the first to the last value across the data span.
COMPLETION_P_START, COMPLETION_P_END = 0.55, 0.93
START_DELAY_MEAN_DAYS, COMPLETE_DELAY_MEAN_DAYS = 20.0, 45.0
#: Share of people who act as No Crime requesters (officer references in the crime extract).
REQUESTER_SHARE = 0.4

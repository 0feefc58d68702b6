{#
    Local time (Europe/London). Extract timestamps are naive local wall-clock times, stored as given.

    local_to_utc(ts): the instant (TIMESTAMPTZ) a local wall-clock time denotes, via DuckDB's ICU
    `ts AT TIME ZONE 'Europe/London'`.
      * Repeated autumn hour (e.g. 2020-10-25 01:30 happens at 00:30 UTC and again at 01:30 UTC): ICU
        resolves it to the second (GMT) occurrence; we read it as the FIRST (BST) occurrence, as
        docs/architecture.md fixes and as Python's zoneinfo does with fold=0. Detected by stepping the
        instant back one hour and checking it still shows the same wall-clock time.
      * Skipped spring hour (e.g. 2021-03-28 01:30 never shows on a clock): ICU reads it with the offset
        before the change (GMT), i.e. as 01:30 UTC = 02:30 BST, as Python's zoneinfo does with fold=0.
    The session TimeZone setting plays no part: only epoch() and timezone() with an explicit zone are used.
#}
{% macro local_time_zone() -%}
    'Europe/London'
{%- endmacro %}

{% macro local_to_utc(ts) -%}
    (case
        when timezone({{ local_time_zone() }}, ({{ ts }} at time zone {{ local_time_zone() }}) - interval 1 hour) = {{ ts }}
            then ({{ ts }} at time zone {{ local_time_zone() }}) - interval 1 hour
        else ({{ ts }} at time zone {{ local_time_zone() }})
    end)
{%- endmacro %}

{# Real elapsed seconds between two local wall-clock times (clock changes counted). #}
{% macro local_elapsed_seconds(start_ts, end_ts) -%}
    (epoch({{ local_to_utc(end_ts) }}) - epoch({{ local_to_utc(start_ts) }}))
{%- endmacro %}

{#
    Financial year and quarter of a local timestamp or date. The year starts on 1 April at 00:00 local:
    2021-03-31 23:59:59 is in 2020/21 Q4, 2021-04-01 00:00:00 in 2021/22 Q1.
#}
{% macro fiscal_year_start(ts) -%}
    (year({{ ts }}) - case when month({{ ts }}) < 4 then 1 else 0 end)
{%- endmacro %}

{% macro fiscal_year(ts) -%}
    (cast({{ fiscal_year_start(ts) }} as varchar) || '/'
        || lpad(cast(({{ fiscal_year_start(ts) }} + 1) % 100 as varchar), 2, '0'))
{%- endmacro %}

{% macro fiscal_quarter(ts) -%}
    cast(((month({{ ts }}) + 8) % 12) // 3 + 1 as integer)
{%- endmacro %}

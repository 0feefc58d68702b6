{#
    Roll-up rule of the improvement plan (docs/improvement_updates.md): a recommendation's status from the
    statuses of its actions. An aggregate expression: use it in a select grouped by recommendation.

      1. COMPLETE     when every action is closed (COMPLETE or TRANSFERRED: transferred work is tracked
                      under the action it moved to);
      2. DELAYED      otherwise, when any action is DELAYED;
      3. ON_TRACK     otherwise, when any action has started (ON_TRACK, or closed while others wait);
      4. NOT_STARTED  otherwise (every open action is NOT_STARTED).

    An action with no update yet counts as NOT_STARTED (callers coalesce before calling).
#}
{% macro improvement_rollup_status(status_column) -%}
    case
        when bool_and({{ status_column }} in ('COMPLETE', 'TRANSFERRED')) then 'COMPLETE'
        when bool_or({{ status_column }} = 'DELAYED') then 'DELAYED'
        when bool_or({{ status_column }} <> 'NOT_STARTED') then 'ON_TRACK'
        else 'NOT_STARTED'
    end
{%- endmacro %}

{# The plan's first day: updates dated earlier are refused by the quality gate, and month-end series start here. #}
{% macro improvement_plan_start() -%}
    cast('{{ var("improvement_plan_start", "2021-09-01") }}' as date)
{%- endmacro %}

{# Count of rows per status, one column per status, in the committee's order. #}
{% macro improvement_status_count_columns(status_column) -%}
    count(*) filter (where {{ status_column }} = 'NOT_STARTED') as not_started,
    count(*) filter (where {{ status_column }} = 'ON_TRACK') as on_track,
    count(*) filter (where {{ status_column }} = 'DELAYED') as delayed,
    count(*) filter (where {{ status_column }} = 'COMPLETE') as complete,
    count(*) filter (where {{ status_column }} = 'TRANSFERRED') as transferred,
    count(*) filter (where {{ status_column }} in ('COMPLETE', 'TRANSFERRED')) as closed
{%- endmacro %}

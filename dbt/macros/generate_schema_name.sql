{#
    Use a model's custom schema as given (`+schema: marts` builds schema `marts`, not `main_marts`), so
    the warehouse has the schemas docs/architecture.md names. Without a custom schema, the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{# A configured schema is used as written (salesforce, stripe, ...), as the schemas Hevo writes to are named;
   everything else goes to the target's schema (prod, ci, dev). #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}

{{ config(materialized='incremental', unique_key=['revenue_date', 'currency'], tags=['finance']) }}

-- Incremental: a later run re-reads only the latest day (load_mode says which kind of run wrote a row;
-- `--full-refresh` rebuilds the whole table).
select
    cast(created_at as date) as revenue_date,
    currency,
    sum(amount) as revenue,
    count(*) as charges,
    '{{ "incremental" if is_incremental() else "full" }}' as load_mode
from {{ ref('stg_stripe__charges') }}
where status = 'succeeded'
{% if is_incremental() %}
    and cast(created_at as date) >= (select max(revenue_date) from {{ this }})
{% endif %}
group by all

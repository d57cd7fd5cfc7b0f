{{ config(tags=['finance']) }}

-- Receivables per currency at the close date. The close date comes from `--vars '{"close_date": ...}'`
-- (the Airflow run's date in finance_close_nightly), today's date when none is given. The run's target
-- and thread count are recorded too, so a run can be checked against the command that started it.
{% set close_date = var('close_date', none) or run_started_at.strftime('%Y-%m-%d') %}

with invoiced as (
    select currency, sum(amount) as invoiced
    from {{ ref('stg_netsuite__invoices') }}
    where invoice_date <= date '{{ close_date }}'
    group by all
),

received as (
    select currency, sum(amount) as received
    from {{ ref('stg_bank__transactions') }}
    where booked_on <= date '{{ close_date }}' and reference like 'INV-%'
    group by all
)

select
    date '{{ close_date }}' as close_date,
    invoiced.currency,
    invoiced.invoiced,
    coalesce(received.received, 0) as received,
    invoiced.invoiced - coalesce(received.received, 0) as open_receivables,
    '{{ target.name }}' as target_name,
    {{ target.threads }} as threads
from invoiced
left join received using (currency)

{{ config(tags=['finance', 'deprecated']) }}

-- Kept for an old dashboard; the nightly build leaves it out (`exclude: tag:deprecated`).
select currency, sum(amount) as revenue
from {{ ref('stg_stripe__charges') }}
group by all

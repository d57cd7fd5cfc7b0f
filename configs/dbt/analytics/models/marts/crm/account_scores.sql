{{ config(tags=['scoring']) }}

with scored as (
    select
        account_id,
        account_name,
        round(least(100, lifetime_value / 2000 + open_pipeline / 4000 + won_deals * 5), 1) as score
    from {{ ref('accounts') }}
)

select
    *,
    case when score >= 60 then 'A' when score >= 25 then 'B' else 'C' end as tier
from scored

{{ config(tags=['accounts']) }}

select
    a.account_id,
    a.account_name,
    a.industry,
    a.country_code,
    a.created_on,
    count(o.opportunity_id) filter (where o.is_won) as won_deals,
    coalesce(sum(o.amount) filter (where o.is_won), 0) as lifetime_value,
    coalesce(sum(o.amount) filter (where not o.is_won and o.stage <> 'closed_lost'), 0) as open_pipeline
from {{ ref('stg_salesforce__accounts') }} as a
left join {{ ref('stg_salesforce__opportunities') }} as o using (account_id)
group by all

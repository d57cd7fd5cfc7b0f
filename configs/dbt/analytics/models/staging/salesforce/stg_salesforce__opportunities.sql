select
    opportunity_id,
    account_id,
    lower(replace(stage_name, ' ', '_')) as stage,
    stage_name = 'Closed Won' as is_won,
    cast(amount as decimal(18, 2)) as amount,
    cast(close_date as date) as close_date
from {{ source('salesforce', 'salesforce_opportunities') }}

select
    account_id,
    account_name,
    industry,
    billing_country as country_code,
    cast(created_date as date) as created_on
from {{ source('salesforce', 'salesforce_accounts') }}
where not is_deleted

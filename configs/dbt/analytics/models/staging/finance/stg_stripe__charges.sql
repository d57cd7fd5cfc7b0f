select
    charge_id,
    account_id,
    amount_cents / 100.0 as amount,
    upper(currency) as currency,
    status,
    cast(created_at as timestamp) as created_at
from {{ source('stripe', 'stripe_charges') }}

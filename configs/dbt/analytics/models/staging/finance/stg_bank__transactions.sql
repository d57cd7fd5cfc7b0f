select
    transaction_id,
    cast(booked_on as date) as booked_on,
    cast(amount as decimal(18, 2)) as amount,
    upper(currency) as currency,
    reference
from {{ source('bank_feed', 'bank_feed_transactions') }}

select
    invoice_id,
    account_id,
    cast(amount as decimal(18, 2)) as amount,
    upper(currency) as currency,
    cast(invoice_date as date) as invoice_date,
    status
from {{ source('netsuite', 'netsuite_invoices') }}

"""Domain events: what one part of Steward tells the others ("tenant.activated",
"pool.low", "charge.refunded"...). Published inside the transaction that caused them; each
subscriber runs as a DBOS workflow enqueued in that same transaction, with the workflow id
``<subscriber>:<event id>``, so it starts exactly once, durably, only if the cause committed."""

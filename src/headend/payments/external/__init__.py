"""External billing: invoices and payments of the biller a provider keeps as its book of record
(HEADEND_BILLER), shown in Headend like its own and read-only here. `port` is what Headend asks
of a biller, `lago` the one adapter, `sync` the use cases, `views` the webhook endpoint."""

"""`make bench`: every benchmark, each against a bare baseline measured in the same run."""

from bench import (
    api_read,
    billing,
    coverage,
    cpq,
    fulfillment,
    outage_impact,
    payments,
    portal_signup,
    pricing,
    quote_documents,
    quote_to_order,
    radius,
    rating,
    scheduling,
    usage,
)

if __name__ == "__main__":
    quote_to_order.main()
    fulfillment.main()
    scheduling.main()
    pricing.main()
    cpq.main()
    coverage.main()
    radius.main()
    usage.main()
    quote_documents.main()
    billing.main()
    rating.main()
    payments.main()
    portal_signup.main()
    api_read.main()
    outage_impact.main()

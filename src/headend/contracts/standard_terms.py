# ruff: noqa: E501  (the terms are prose: one paragraph per line)
"""The terms every installation starts with; a provider publishes its own as v2 in the admin.

Written by the migration, and again after a `flush` (the post-migrate signal) when no terms are left:
a quote cannot be presented without terms in effect.
"""

import datetime as dt

LABEL = "Standard terms v1"
BODY = """1. The agreement. These terms, together with the quote they are attached to, are the agreement between the customer named on the quote and the provider for the services listed. If they conflict, the quote wins for prices and the contract term; these terms win for everything else.

2. Service. The provider delivers Internet access over its fiber network to each service address on the quote, at the speeds stated as the maximum the connection supports. Actual throughput depends on the customer's equipment, wiring and the sites they reach. Business services with a service-level commitment are covered by the service-level schedule for that product.

3. Installation. The provider schedules installation after acceptance. The customer gives safe access to each site, permits the fiber drop, the optical network terminal and the equipment it needs, and obtains any landlord consent. A visit missed without 24 hours' notice may be charged at the published trip rate.

4. Equipment. Equipment the provider supplies stays its property. The customer keeps it powered, indoors and free from damage, and returns it within 30 days after the service ends or pays its replacement cost.

5. Charges and billing. Monthly charges are billed in advance from the day each service is live and are prorated for partial months. One-time charges are billed on the first invoice. Invoices are due 30 days after their date. Prices exclude taxes, surcharges and regulatory fees, which are shown on the invoice.

6. Late payment. If an invoice is unpaid 30 days after its due date, the provider may suspend the service after 10 days' written notice, and may charge a late fee of 1.5% per month or the highest rate the law allows, whichever is lower. Service resumes when the balance is paid.

7. Contract term and renewal. Each service runs for the term on the quote from the day it is live. At the end of the term it continues month to month at the then-current price until either party gives 30 days' notice.

8. Early termination. If the customer ends a service before its term ends, other than for the provider's uncured breach, the customer pays an early-termination fee equal to the monthly charge times the months left in the term, capped at six months, plus any unpaid installation charges that were waived.

9. Acceptable use. The customer does not use the service to break the law, send unsolicited bulk email, attack or scan other networks, or resell the service without the provider's written consent. The provider may suspend a service that endangers its network, after notice where practical.

10. Outages and credits. The provider repairs faults it is responsible for as fast as it reasonably can. When a service is down for more than 24 consecutive hours because of a fault on the provider's network, the customer receives a credit of one thirtieth of the monthly charge for each full day, if requested within 30 days.

11. Liability. The provider is not liable for indirect or consequential loss, lost data or lost profit. Its total liability in any twelve months is limited to the charges paid for the affected service in that period. Nothing limits liability that the law does not allow to be limited.

12. Privacy. The provider uses customer data to deliver, bill and support the services, as described in its privacy notice, and does not sell it. It discloses data to authorities only when the law requires it.

13. Changes. The provider may change these terms or prices for month-to-month services with 30 days' notice. Prices for a service within its contract term do not change except for taxes and regulatory fees.

14. Electronic signature. The parties agree that accepting the quote online, by typing a name and confirming consent, is a signature with the same effect as a handwritten one. The provider keeps a record of the signature and the document signed.

15. Governing law. This agreement is governed by the laws of the State of Maine. Notices go to the addresses on the quote or on file, and may be sent by email."""
EFFECTIVE = dt.date(2024, 1, 1)


def ensure(TermsVersion, using: str = "default") -> None:
    """The standard terms, unless some terms exist (the model may be a migration's historical one)."""
    if not TermsVersion.objects.using(using).exists():
        TermsVersion.objects.using(using).create(label=LABEL, effective_date=EFFECTIVE, body=BODY)

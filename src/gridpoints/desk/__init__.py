"""Human decisions on the ledger: review, appeals, corrections, settling and closing a month."""

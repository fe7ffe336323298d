"""Supervision (督查督办) as the coordinator sees it: the gap report (`gaps`), lights,
completion and ranking (`lights`), the report as text and JSON (`report`), the dashboard
(`dashboard`), the ledger (`ledger`), the monthly circular (`circular`), and where the pages
link to (`links`). Pure: the plan, stored entries and `today` in, values, pages or bytes out."""

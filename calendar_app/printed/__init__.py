"""Printed monthly schedules: one month for a unit or the county as plain values
(`monthview`), and those views as HTML pages and PDFs (`pages`)."""

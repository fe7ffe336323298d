"""How things are written out: the one Jinja environment (`render`), dates and records in a
county office's words (`words`), terminal tables (`termtable`), workbooks saved as stable bytes
(`xlsx`) and the `events` and `units` listings (`listing`)."""

"""The schedule: a plan over a window expanded into slots and dated events (`expansion`), flexible
occurrences placed on real working days (`placement`). Pure: no clock, no I/O."""

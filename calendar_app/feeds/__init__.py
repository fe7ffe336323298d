"""The feeds units subscribe to: what each feed holds (`contents`), what an event says (`wording`),
daily and weekly obligations as one recurring event (`routines`), fanned-out events combined
in the county's feed (`combined`), the RFC 5545 writer (`ical`), and every feed with its
subscription page as files (`view`). Pure: stored entries, the plan and `today` in, bytes out."""

"""Reminders where county staff work: what is due to whom today (`due`, pure), how it reads in
a chat group (`wording`, pure), the channels it goes through (`channels`, the only user of
Apprise) and a run that sends each reminder once (`job`), by hand or from `serve` (`timer`)."""

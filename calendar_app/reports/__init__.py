"""What units report: records on events (`records`), monthly report sheets read back
(`sheets`), and evidence files kept beside the database (`evidence`)."""

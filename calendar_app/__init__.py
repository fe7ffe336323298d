"""calendar_app: Chongyang County's scientific-literacy plan as unit calendars.

The folders are the stages, each importing only the ground and the stages before it:

    recurring.yaml --plan/--> Plan --schedule/--> events and report tasks (pure, no clock)
        --store/--> the database (SQLite or PostgreSQL; its own connection per Store)
        --reports/--> what units report (records, batches, sheets, evidence, review)
        --feeds/ printed/ supervision/ remind/--> pure views: bytes, pages, messages
        --publish.py, exports.py--> exports/ (atomic writes)    --web/--> the application

cli.py is the only reader of the clock and the terminal; build.py is the main job as a
Python API (`build(BuildRequest(...))`).
"""

__version__ = "0.1.0"

"""Example products built on Steward, one per reference system Steward must run (JobRun,
GivrWrld, Churn Saver, Voxanne, Syston), each with tests that replay its launch document."""

"""`make bench`: what the bench measures, by part; `manage.py bench` and `manage.py bench_reports` run it."""

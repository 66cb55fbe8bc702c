# croniter, the cron reader Airflow uses: tests/cron_croniter.rs checks that
# pipelint accepts exactly the cron strings croniter accepts.
"$PIPELINT_VENV/bin/python" -c "import croniter" 2>/dev/null \
  || "$PIPELINT_VENV/bin/python" -m pip install --quiet croniter

# PyYAML (dbt's YAML parser), for tests/yaml_pyyaml.rs: the YAML corpus is
# checked against it. Idempotent; installs into the throwaway venv.
if ! "$PIPELINT_VENV/bin/python" -c 'import yaml' 2>/dev/null; then
  "$PIPELINT_VENV/bin/pip" install --quiet pyyaml
fi

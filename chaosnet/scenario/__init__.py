"""Scenario language: the YAML users write, validated, then typed (`model.py`).

    load_scenario(path) / load_scenario_text(text, filename) -> Scenario   (loader.py)
    schema_path() / load_schema()                                          (schema.py)
    render_starter(name, template, schema_ref) / TEMPLATES                 (starter.py)
    reference_markdown(schema)                                             (reference.py)

Every problem is raised at once as `chaosnet.errors.ScenarioError`, one `file:line:col: message`
per problem.
"""

from chaosnet.scenario.loader import load_scenario, load_scenario_text
from chaosnet.scenario.model import Scenario
from chaosnet.scenario.schema import load_schema, schema_path

__all__ = ["Scenario", "load_scenario", "load_scenario_text", "load_schema", "schema_path"]

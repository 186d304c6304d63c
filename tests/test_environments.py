"""The conda environment files pin exactly the versions of requirements.txt."""

import re

import pytest
import yaml

from conftest import REPO


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines):
    return {normalize(m[1]): m[2] for line in lines if (m := re.match(r"\s*([A-Za-z0-9_.\-]+)==(\S+)", line))}


REQUIREMENTS = pins((REPO / "requirements.txt").read_text().splitlines())


@pytest.mark.parametrize("env_file", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_conda_environment_agrees_with_requirements(env_file):
    spec = yaml.safe_load(env_file.read_text())
    pip_section = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip_section)
    assert env_pins and len(env_pins) == len(pip_section), "every pip entry must be pinned with =="
    mismatched = {name: (version, REQUIREMENTS.get(name)) for name, version in env_pins.items()
                  if REQUIREMENTS.get(name) != version}
    assert not mismatched


def test_every_rule_names_an_existing_environment():
    """Rules name their kind of job (common.smk's Job kinds), and each kind an environment."""
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    kinds = dict(re.findall(r'^([A-Z]+) = Job\("([a-z]+)"', rules, re.M))
    used = set(re.findall(r"conda:\n\s+([A-Z]+)\.conda", rules))
    assert used and used <= set(kinds)
    assert {f"{kinds[kind]}.yaml" for kind in used} <= {p.name for p in (REPO / "envs").glob("*.yaml")}

"""hevo.region in a workflow file: the eight known regions, and a did-you-mean for anything else
(a typo is likelier than a new region; connections accept new ones, see tests/provider/test_hook.py)."""

from __future__ import annotations

import pytest

from hevo_dagfactory.spec import ConfigErrors, load_file

WORKFLOW = """
hevo: {{region: {region}}}
syncs:
  - {{id: crm, pipeline_id: 1}}
"""


@pytest.mark.parametrize("region", ["asia", "au", "eu", "eu2", "in", "us", "us2", "us-gcp"])
def test_every_known_region_is_valid_and_names_the_assets(write, region):
    workflow = load_file(write("wf.yaml", WORKFLOW.format(region=region)))
    assert (
        workflow.hevo.region == region
        and workflow.syncs[0].asset_uri(workflow.hevo.region) == f"hevo://{region}/pipelines/1"
    )


@pytest.mark.parametrize(("typo", "meant"), [("us-gpc", "us-gcp"), ("eu-2", "eu2"), ("uss2", "us2")])
def test_an_unknown_region_is_an_error_with_a_did_you_mean(write, typo, meant):
    with pytest.raises(ConfigErrors) as info:
        load_file(write("wf.yaml", WORKFLOW.format(region=typo)))
    (error,) = info.value.errors
    assert (error.line, error.pointer, error.error_type) == (1, "/hevo/region", "enum")
    assert f"did you mean {meant!r}?" in str(error) and "us-gcp" in error.message


def test_the_old_name_apac_is_refused_with_the_list(write):
    with pytest.raises(ConfigErrors) as info:
        load_file(write("wf.yaml", WORKFLOW.format(region="apac")))
    assert "asia" in str(info.value)

"""Context flags: the defaults, and a clear error for a value the app does not understand."""

from __future__ import annotations

import pytest


def test_defaults_are_no_nat_pip_bundling_and_a_public_stream_url() -> None:
    from aws_cdk import App

    from infra.config import InfraConfig

    config = InfraConfig.from_node(App().node)
    assert config == InfraConfig(nat=False, bundle="pip", stream_auth="none")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"nat": "maybe"}, "nat='maybe': expected true or false"),
        ({"bundle": "docker"}, "bundle='docker': expected one of pip, stub"),
        ({"stream_auth": "cognito"}, "stream_auth='cognito': expected one of none, iam"),
    ],
)
def test_bad_context_value_is_named_in_the_error(context: dict[str, str], message: str) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, InfraConfig

    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        InfraConfig.from_node(App(context=context).node)

"""Where the stack may deploy, and the Lambda Web Adapter layer it needs there.

No aws_cdk import here: the deploy preflight (infra.preflight) uses it without node.

The allow-list is the regions where everything the stack uses exists: Function URLs
(RESPONSE_STREAM), SnapStart for Python, ElastiCache Serverless, and the Web Adapter's
public layer in its publisher's account. SnapStart for Python launched in exactly these
nine; Function URLs are missing in ap-south-2, eu-central-2, il-central-1, me-central-1,
ca-west-1, ap-southeast-4..7, mx-central-1, and China and GovCloud publish the layer under
other accounts (tests/infra/test_regions.py holds the list against cfn-lint's region data).
"""

from __future__ import annotations

ALLOWED_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
)

# Lambda Web Adapter's public layer (publisher account 753240598075, commercial regions);
# version 30 is adapter 1.1.0 (the adapter's README pairs the two; 28 was 1.0.1).
WEB_ADAPTER_ACCOUNT = "753240598075"
WEB_ADAPTER_LAYER = "LambdaAdapterLayerArm64"
WEB_ADAPTER_VERSION = 30


def region_problem(region: str) -> str | None:
    """Why the stack must not deploy to `region`, or None when it may."""
    if region in ALLOWED_REGIONS:
        return None
    return (
        f"region {region} is not in the allow-list ({', '.join(ALLOWED_REGIONS)}): set"
        " AWS_REGION to one of them (docs/deploying.md#regions)"
    )


def web_adapter_layer_arn(region: str) -> str:
    return (
        f"arn:aws:lambda:{region}:{WEB_ADAPTER_ACCOUNT}:layer:"
        f"{WEB_ADAPTER_LAYER}:{WEB_ADAPTER_VERSION}"
    )

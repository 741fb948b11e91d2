#!/usr/bin/env python3
"""A second ARM client for the test server: the management client PyPI `azure-ai-ml` bundles
(api-version 2025-12-01), unmodified but for its base URL and a credential policy that sends
no token. It creates an online endpoint and a managed deployment in a workspace, reads
them back, and reads an endpoint another tool made — printing what it read as JSON.

    python3 tests/azure/sdk_client.py BASE_URL SUBSCRIPTION GROUP WORKSPACE READ_ENDPOINT
"""

import json
import sys

from azure.ai.ml._restclient.arm_ml_service import MachineLearningServicesMgmtClient
from azure.ai.ml._restclient.arm_ml_service import models as m
from azure.core.pipeline.policies import SansIOHTTPPolicy


class NoToken:
    def get_token(self, *scopes, **kwargs):
        raise AssertionError("the local ARM server needs no token")


def main():
    base, sub, rg, ws, other = sys.argv[1:6]
    client = MachineLearningServicesMgmtClient(NoToken(), sub, base_url=base,
                                               authentication_policy=SansIOHTTPPolicy())
    poll = {"polling_interval": 0.2}
    ep = m.OnlineEndpoint(location="eastus", kind="Managed",
                          identity=m.ManagedServiceIdentity(type="SystemAssigned"),
                          properties=m.OnlineEndpointProperties(auth_mode="Key", description="made by azure-ai-ml"))
    client.online_endpoints.begin_create_or_update(rg, ws, "sdk-ep", ep, **poll).result()
    dep = m.OnlineDeployment(
        location="eastus", kind="Managed", sku=m.Sku(name="Default", capacity=2),
        properties=m.ManagedOnlineDeployment(model="azureml:llama-3-8b:1", instance_type="Standard_NC24ads_A100_v4",
                                             request_settings=m.OnlineRequestSettings(request_timeout="PT30S")))
    client.online_deployments.begin_create_or_update(rg, ws, "sdk-ep", "sdk-blue", dep, **poll).result()
    ep = client.online_endpoints.get(rg, ws, "sdk-ep")
    ep["properties"]["traffic"] = {"sdk-blue": 100}
    client.online_endpoints.begin_create_or_update(rg, ws, "sdk-ep", ep, **poll).result()
    out = {
        "endpoint": client.online_endpoints.get(rg, ws, "sdk-ep").as_dict(),
        "deployment": client.online_deployments.get(rg, ws, "sdk-ep", "sdk-blue").as_dict(),
        "other": client.online_endpoints.get(rg, ws, other).as_dict(),
        "other_deployments": [d.as_dict() for d in client.online_deployments.list(rg, ws, other)],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

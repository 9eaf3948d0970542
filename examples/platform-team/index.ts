import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FactoryIngest } from "./ingest";

const config = new pulumi.Config();
const deployment = `factory-${pulumi.getStack()}`;
const tags = { team: "platform", "cost-center": config.get("costCenter") ?? "platform" };

// The team's own provider: its region and default tags, for every resource of the composition.
const provider = new aws.Provider("factory", {
  region: new pulumi.Config("aws").require("region"),
  defaultTags: { tags },
});

const factory = new FactoryIngest(
  "factory",
  {
    deployment,
    sensorsByRoom: config.requireObject<Record<string, number>>("sensorsByRoom"),
    landingBucket: config.require("landingBucket"),
    landingKeyArn: config.get("landingKeyArn"),
    catalogDatabase: `factory_${pulumi.getStack()}`,
    tags,
  },
  { providers: [provider] },
);

export const iotEndpoint = factory.devices.endpoint;
export const telemetryStream = factory.ingest.telemetryStream.name;
export const fleetFile = factory.devices.credentials;

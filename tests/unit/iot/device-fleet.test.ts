import { expect } from "chai";
import { runPipeline, PipelineRun } from "./pipeline-program";
import { unwrapSecrets } from "../../helpers/mocks";
import { isSecretValue, MOCK_ACCOUNT_ID } from "../../../components/testing";
import { buildClaimPolicyDocument, buildDevicePolicyDocument } from "../../../components/iot/iot-policy";
import { buildProvisioningTemplateBody } from "../../../components/iot/provisioning";
import { DeviceFleet } from "../../../components/iot/device-fleet";
import { parseFleetFile } from "../../../components/telemetry/fleet-file";
import { AMAZON_ROOT_CA_1_PEM } from "../../../components/iot/amazon-root-ca";
import { X509Certificate } from "crypto";

const T = {
  thing: "aws:iot/thing:Thing",
  cert: "aws:iot/certificate:Certificate",
  attachment: "aws:iot/thingPrincipalAttachment:ThingPrincipalAttachment",
  policyAttachment: "aws:iot/policyAttachment:PolicyAttachment",
  membership: "aws:iot/thingGroupMembership:ThingGroupMembership",
  group: "aws:iot/thingGroup:ThingGroup",
  policy: "aws:iot/policy:Policy",
  template: "aws:iot/provisioningTemplate:ProvisioningTemplate",
  fn: "aws:lambda/function:Function",
};
const FLEET = "sensors-dev-telemetry-fleet";

describe("DeviceFleet", function () {
  let dev: PipelineRun;
  let prod: PipelineRun;
  let claims: PipelineRun;
  before(async function () {
    dev = await runPipeline("dev");
    prod = await runPipeline("prod");
    claims = await runPipeline("dev", { fleetProvisioning: true, sensorsPerRoom: 3 });
  });

  describe("defaults (dev: 2 rooms x 2 sensors, per-device identities)", function () {
    it("creates one thing, certificate, exclusive attachment, policy attachment and group membership per configured sensor", function () {
      const names = dev.config.fleet.devices.map((d) => d.thingName);
      expect(names).to.deep.equal([
        "sensors-dev-lab-001",
        "sensors-dev-lab-002",
        "sensors-dev-office-001",
        "sensors-dev-office-002",
      ]);
      expect(dev.ofType(T.thing).map((t) => t.inputs.name)).to.deep.equal(names);
      for (const type of [T.cert, T.attachment, T.policyAttachment, T.membership])
        expect(dev.ofType(type), type).to.have.length(4);
      expect(dev.ofType(T.thing).map((t) => t.name)).to.include("sensors-dev-telemetry-fleet-lab-001-thing");
    });

    it("attaches each certificate exclusively to its own thing and gives it the device policy", function () {
      const policyName = dev.named(T.policy, `${FLEET}-device-policy`).inputs.name;
      for (const device of dev.config.fleet.devices) {
        const key = `${FLEET}-${device.thingName.slice("sensors-dev-".length)}`;
        const cert = dev.named(T.cert, `${key}-cert`);
        expect(cert.inputs).to.deep.equal({ active: true });
        expect(dev.named(T.attachment, `${key}-cert-attachment`).inputs).to.deep.equal({
          thing: device.thingName,
          principal: cert.state.arn,
          thingPrincipalType: "EXCLUSIVE_THING",
        });
        expect(dev.named(T.policyAttachment, `${key}-policy-attachment`).inputs).to.deep.equal({
          policy: policyName,
          target: cert.state.arn,
        });
        expect(dev.named(T.membership, `${key}-group-membership`).inputs).to.deep.include({
          thingGroupName: `sensors-dev-${device.roomId}`,
          thingName: device.thingName,
        });
        expect(dev.named(T.thing, `${key}-thing`).inputs).to.deep.equal({
          name: device.thingName,
          thingTypeName: "sensors-dev-sensor",
          attributes: { room: device.roomId },
        });
      }
    });

    it("has one thing group per room and one shared device policy, the generated document", function () {
      expect(dev.ofType(T.group).map((g) => g.inputs.name)).to.deep.equal([
        "sensors-dev-lab",
        "sensors-dev-office",
      ]);
      const policy = dev.named(T.policy, `${FLEET}-device-policy`);
      expect(policy.inputs.name).to.equal("sensors-dev-device");
      const expected = buildDevicePolicyDocument({
        region: "eu-west-1",
        accountId: MOCK_ACCOUNT_ID,
        deployment: "sensors-dev",
      });
      expect(JSON.parse(policy.inputs.policy as string)).to.deep.equal(expected);
      expect(dev.documents.find((d) => d.name === "iot-device-policy")!.content).to.deep.equal(expected);
      expect(dev.ofType(T.policy)).to.have.length(1);
    });

    it("exports the ATS endpoint and a secret fleet file the simulator accepts", function () {
      const outputs = dev.exported;
      expect(outputs.endpoint).to.match(/^[0-9a-f]{14}-ats\.iot\.eu-west-1\.amazonaws\.com$/);
      expect(isSecretValue(outputs.fleetFile)).to.equal(true);
      const file = parseFleetFile(unwrapSecrets(outputs.fleetFile), "stack output");
      expect(file.endpoint).to.equal(outputs.endpoint);
      expect(file.deployment).to.equal("sensors-dev");
      expect(file.caCertPem).to.equal(AMAZON_ROOT_CA_1_PEM);
      expect(file.provisioning).to.equal(undefined);
      expect(file.devices.map((d) => [d.thingName, d.roomId])).to.deep.equal(
        dev.config.fleet.devices.map((d) => [d.thingName, d.roomId]),
      );
      const labCert = dev.named(T.cert, `${FLEET}-lab-001-cert`).state;
      expect(file.devices[0]).to.deep.include({
        certificatePem: labCert.certificatePem,
        privateKeyPem: labCert.privateKey,
      });
    });

    it("pins Amazon Root CA 1, the CA of the ATS endpoints", function () {
      const ca = new X509Certificate(AMAZON_ROOT_CA_1_PEM);
      expect(ca.subject).to.equal("C=US\nO=Amazon\nCN=Amazon Root CA 1");
      expect(ca.fingerprint256).to.equal(
        "8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E",
      );
    });

    it("creates no fleet-provisioning resources", function () {
      expect(dev.ofType(T.template)).to.have.length(0);
      expect(dev.ofType(T.fn)).to.have.length(0);
    });
  });

  describe("prod uses the configured sizes", function () {
    it("6 rooms x 8 sensors: 48 identities, 6 groups, in us-east-1", function () {
      expect(prod.ofType(T.thing)).to.have.length(48);
      expect(
        prod.ofType(T.attachment).every((a) => a.inputs.thingPrincipalType === "EXCLUSIVE_THING"),
      ).to.equal(true);
      expect(prod.ofType(T.group)).to.have.length(6);
      expect(JSON.parse(prod.ofType(T.policy)[0]!.inputs.policy as string).Statement[0].Resource).to.equal(
        "arn:aws:iot:us-east-1:111122223333:client/${iot:Connection.Thing.ThingName}",
      );
    });
  });

  describe("fleetProvisioning: true", function () {
    it("keeps no per-device identities in the stack", function () {
      for (const type of [T.thing, T.attachment, T.membership])
        expect(claims.ofType(type), type).to.have.length(0);
      // The only certificate is the claim's.
      expect(claims.ofType(T.cert).map((c) => c.name)).to.deep.equal([`${FLEET}-provisioning-claim-cert`]);
    });

    it("deploys the template with the pre-provisioning hook and the provisioning role", function () {
      const template = claims.named(T.template, `${FLEET}-provisioning-template`);
      const hook = claims.named(T.fn, `${FLEET}-provisioning-hook`);
      expect(template.inputs).to.deep.include({
        name: "sensors-dev-sensors",
        enabled: true,
        preProvisioningHook: { targetArn: hook.state.arn, payloadVersion: "2020-04-01" },
      });
      expect(JSON.parse(template.inputs.templateBody as string)).to.deep.equal(
        buildProvisioningTemplateBody({
          deployment: "sensors-dev",
          thingTypeName: "sensors-dev-sensor",
          devicePolicyName: "sensors-dev-device",
        }),
      );
      const role = claims.named("aws:iam/role:Role", `${FLEET}-provisioning-role`);
      expect(template.inputs.provisioningRoleArn).to.equal(role.state.arn);
      expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal).to.deep.equal({
        Service: "iot.amazonaws.com",
      });
    });

    it("runs the hook on Node.js 24 with a 5-second timeout, its rules in the environment, invocable by IoT for this template only", function () {
      const hook = claims.named(T.fn, `${FLEET}-provisioning-hook`);
      expect(hook.inputs).to.deep.include({ runtime: "nodejs24.x", handler: "index.handler", timeout: 5 });
      expect(hook.inputs.environment).to.deep.equal({
        variables: { DEPLOYMENT: "sensors-dev", ROOMS: '["lab","office"]' },
      });
      const permission = claims.ofType("aws:lambda/permission:Permission")[0]!;
      expect(permission.inputs).to.deep.include({
        principal: "iot.amazonaws.com",
        action: "lambda:InvokeFunction",
        sourceArn: "arn:aws:iot:eu-west-1:111122223333:provisioningtemplate/sensors-dev-sensors",
        sourceAccount: MOCK_ACCOUNT_ID,
      });
    });

    it("deploys the hook as a LambdaFunction: traced, its permissions one role policy under the role's former inline name, scoped to its log group and the deployment's things", function () {
      const hook = claims.named(T.fn, `${FLEET}-provisioning-hook`);
      expect(hook.parent).to.contain("$sensor-analytics:shared:LambdaFunction::");
      expect(hook.inputs.tracingConfig).to.deep.equal({ mode: "Active" });
      const logs = claims.named("aws:cloudwatch/logGroup:LogGroup", `${FLEET}-provisioning-hook-logs`);
      expect(logs.inputs).to.deep.include({
        name: "/sensor-analytics/sensors-dev/pre-provisioning-hook",
        retentionInDays: 14,
      });
      expect(hook.inputs.loggingConfig).to.deep.equal({ logFormat: "JSON", logGroup: logs.inputs.name });
      // The role no longer lists the permissions inline: removing that entry alone would leave it on the
      // role, so the role policy takes its name and replaces it.
      const role = claims.named("aws:iam/role:Role", `${FLEET}-provisioning-hook-role`);
      expect(role.inputs.inlinePolicies).to.equal(undefined);
      const policy = claims.named("aws:iam/rolePolicy:RolePolicy", `${FLEET}-provisioning-hook-policy`);
      expect(policy.inputs.name).to.equal("pre-provisioning-hook");
      expect(policy.inputs.role).to.match(new RegExp(`^${FLEET}-provisioning-hook-role`));
      const statements = (
        JSON.parse(policy.inputs.policy as string) as {
          Statement: { Sid: string; Action: string | string[]; Resource: string | string[] }[];
        }
      ).Statement;
      const logGroupArn = logs.state.arn as string;
      expect(statements.map((s) => [s.Sid, s.Resource])).to.deep.equal([
        ["WriteOwnLogs", [logGroupArn, `${logGroupArn}:*`]],
        ["WriteTracesWildcard", "*"],
        ["LookUpDeploymentThings", "arn:aws:iot:eu-west-1:111122223333:thing/sensors-dev-*"],
      ]);
      expect(statements[1]!.Action).to.have.members([
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ]);
      expect(statements[2]!.Action).to.equal("iot:ListThingPrincipals");
    });

    it("gives the claim certificate only the narrow claim policy", function () {
      const claimPolicy = claims.named(T.policy, `${FLEET}-provisioning-claim-policy`);
      expect(JSON.parse(claimPolicy.inputs.policy as string)).to.deep.equal(
        buildClaimPolicyDocument({
          region: "eu-west-1",
          accountId: MOCK_ACCOUNT_ID,
          deployment: "sensors-dev",
          templateName: "sensors-dev-sensors",
        }),
      );
      const cert = claims.named(T.cert, `${FLEET}-provisioning-claim-cert`);
      expect(claims.ofType(T.policyAttachment).map((a) => a.inputs)).to.deep.equal([
        { policy: "sensors-dev-provisioning-claim", target: cert.state.arn },
      ]);
    });

    it("exports a fleet file with the claim, the template's parameters and every configured sensor to register", function () {
      const file = parseFleetFile(unwrapSecrets(claims.exported.fleetFile), "stack output");
      expect(file.devices).to.have.length(6);
      expect(file.devices[5]).to.deep.equal({ thingName: "sensors-dev-office-003", roomId: "office" });
      expect(file.provisioning).to.deep.include({
        templateName: "sensors-dev-sensors",
        clientIdPrefix: "sensors-dev--claim-",
        parameters: { ThingName: "${thingName}", RoomId: "${roomId}" },
      });
    });
  });

  describe("validateArgs", function () {
    it("names the problem and the fix", function () {
      expect(
        DeviceFleet.validateArgs({
          deployment: "sensors-dev",
          rooms: ["lab"],
          devices: [{ thingName: "sensors-dev-attic-001", roomId: "attic", index: 1 }],
        }),
      ).to.deep.equal([
        "devices sensors-dev-attic-001 are in rooms that are not in rooms (lab); add the rooms or remove the devices",
      ]);
      expect(DeviceFleet.validateArgs({ deployment: "sensors-dev", rooms: [], devices: [] })).to.deep.equal([
        "DeviceFleet needs at least one room: list rooms, or devices (each names its room)",
      ]);
      expect(DeviceFleet.validateArgs({ deployment: "sensors-dev", devices: [] })).to.have.length(1);
      expect(
        DeviceFleet.validateArgs({
          deployment: "sensors-dev",
          rooms: ["lab"],
          devices: [{ thingName: "other-lab-001", roomId: "lab", index: 1 }],
        })[0],
      ).to.equal(
        'thing names other-lab-001 do not start with "sensors-dev-"; build them with thingName() or fleetDevices()',
      );
    });
  });
});

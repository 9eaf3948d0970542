import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import {
  IoTClient,
  ListThingPrincipalsCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from "@aws-sdk/client-iot";
import * as IotSdk from "@aws-sdk/client-iot";
import {
  buildProvisioningTemplateBody,
  checkProvisioningRequest,
  PROVISIONING_PARAMETERS,
} from "../../../components/iot/provisioning";
import {
  devicePolicyName,
  provisionedThingName,
  thingGroupName,
  thingTypeName,
} from "../../../components/iot/naming";
import { thingName } from "../../../components/telemetry/fleet";
import { lambdaBundle } from "../../../components/shared/lambda-bundle";
import { bundleHandler } from "../../../components/scripts/assets";
import { PRE_PROVISIONING_HOOK_ENTRY } from "../../../components/iot/fleet-provisioning";
import {
  createPreProvisioningHook,
  PreProvisioningEvent,
  PreProvisioningResponse,
  rulesFromEnvironment,
} from "../../../functions/pre-provisioning-hook/handler";

const rules = { deployment: "sensors-dev", rooms: ["lab", "office"] };
const event = (parameters: Record<string, string>): PreProvisioningEvent => ({
  claimCertificateId: "claim123",
  certificateId: "cert456",
  certificatePem: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
  templateArn: "arn:aws:iot:eu-west-1:111122223333:provisioningtemplate/sensors-dev-sensors",
  clientId: "sensors-dev--claim-lab-001",
  parameters,
});

/** Resolves the template's intrinsic functions (Ref, Fn::Join) for given parameters, as IoT Core does. */
function resolve(value: unknown, parameters: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, parameters));
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  if ("Ref" in obj) return parameters[obj.Ref as string];
  if ("Fn::Join" in obj) {
    const [separator, parts] = obj["Fn::Join"] as [string, unknown[]];
    return parts.map((p) => resolve(p, parameters)).join(separator);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v, parameters)]));
}

describe("fleet provisioning", function () {
  describe("template", function () {
    const body = buildProvisioningTemplateBody({
      deployment: "sensors-dev",
      thingTypeName: thingTypeName("sensors-dev"),
      devicePolicyName: devicePolicyName("sensors-dev"),
    });

    it("declares the parameters a device sends and the certificate ID", function () {
      expect(Object.keys(body.Parameters)).to.deep.equal([
        "ThingName",
        "RoomId",
        "AWS::IoT::Certificate::Id",
      ]);
    });

    it("creates the thing the hook allowed, in its room's group, with its room attribute, type and the device policy", function () {
      const name = thingName("sensors-dev", "lab", 7);
      const thing = resolve(body.Resources.thing, { ThingName: name, RoomId: "lab" }) as {
        Properties: Record<string, unknown>;
      };
      expect(thing.Properties).to.deep.equal({
        ThingName: "sensors-dev-lab-007",
        ThingTypeName: "sensors-dev-sensor",
        ThingGroups: [thingGroupName("sensors-dev", "lab")],
        AttributePayload: { room: "lab" },
      });
      expect(body.Resources.certificate.Properties).to.deep.equal({
        CertificateId: { Ref: "AWS::IoT::Certificate::Id" },
        Status: "ACTIVE",
      });
      expect(body.Resources.policy.Properties.PolicyName).to.equal("sensors-dev-device");
    });
  });

  describe("request check", function () {
    it("allows a configured room and <deployment>-<room>-<serial>, the names stack-managed sensors have too", function () {
      expect(
        checkProvisioningRequest(
          { ThingName: thingName("sensors-dev", "office", 12), RoomId: "office" },
          rules,
        ),
      ).to.deep.equal({
        allowed: true,
        thingName: "sensors-dev-office-012",
      });
      expect(provisionedThingName("sensors-dev", "lab", "SN7F3A21")).to.equal("sensors-dev-lab-SN7F3A21");
    });

    it("refuses unknown rooms, names of other rooms or deployments, and malformed serial numbers", function () {
      const reasons = [
        { ThingName: "sensors-dev-attic-001", RoomId: "attic" },
        { ThingName: "sensors-dev-office-001", RoomId: "lab" },
        { ThingName: "sensors-prod-lab-001", RoomId: "lab" },
        { ThingName: "sensors-dev-lab-0_1", RoomId: "lab" },
        { ThingName: "sensors-dev-lab-01", RoomId: "lab" },
        { RoomId: "lab" },
      ].map((p) => {
        const decision = checkProvisioningRequest(p, rules);
        return decision.allowed ? "allowed" : decision.reason;
      });
      expect(reasons).to.deep.equal([
        'RoomId "attic" is not a room of sensors-dev (lab, office)',
        'ThingName "sensors-dev-office-001" does not start with "sensors-dev-lab-"',
        'ThingName "sensors-prod-lab-001" does not start with "sensors-dev-lab-"',
        'serial number "0_1" of sensors-dev-lab-0_1 is not 3-24 letters and digits',
        'serial number "01" of sensors-dev-lab-01 is not 3-24 letters and digits',
        'ThingName undefined does not start with "sensors-dev-lab-"',
      ]);
      expect(PROVISIONING_PARAMETERS).to.deep.equal({ thingName: "ThingName", roomId: "RoomId" });
    });
  });

  describe("pre-provisioning hook", function () {
    const iot = mockClient(IoTClient);
    let logs: Record<string, unknown>[] = [];
    const hook = () =>
      createPreProvisioningHook({
        iot: new IoTClient({ region: "eu-west-1" }),
        rules,
        log: (e) => logs.push(e),
      });
    beforeEach(() => {
      iot.reset();
      logs = [];
    });
    after(() => iot.restore());

    it("allows a new sensor (the thing does not exist yet)", async function () {
      iot
        .on(ListThingPrincipalsCommand)
        .rejects(new ResourceNotFoundException({ message: "thing not found", $metadata: {} }));
      expect(await hook()(event({ ThingName: "sensors-dev-lab-001", RoomId: "lab" }))).to.deep.equal({
        allowProvisioning: true,
      });
      expect(iot.commandCalls(ListThingPrincipalsCommand)[0]!.args[0].input).to.deep.equal({
        thingName: "sensors-dev-lab-001",
        maxResults: 1,
      });
      expect(logs).to.deep.equal([
        {
          clientId: "sensors-dev--claim-lab-001",
          claimCertificateId: "claim123",
          certificateId: "cert456",
          thingName: "sensors-dev-lab-001",
          allowProvisioning: true,
        },
      ]);
    });

    it("allows a thing that exists without a certificate", async function () {
      iot.on(ListThingPrincipalsCommand).resolves({ principals: [] });
      expect(await hook()(event({ ThingName: "sensors-dev-lab-001", RoomId: "lab" }))).to.deep.equal({
        allowProvisioning: true,
      });
    });

    it("refuses to take over a thing that still has a certificate", async function () {
      iot
        .on(ListThingPrincipalsCommand)
        .resolves({ principals: ["arn:aws:iot:eu-west-1:111122223333:cert/abc"] });
      expect(await hook()(event({ ThingName: "sensors-dev-lab-001", RoomId: "lab" }))).to.deep.equal({
        allowProvisioning: false,
      });
      expect(logs[0]!.reason).to.equal("thing already has a certificate; detach it before re-provisioning");
    });

    it("refuses a malformed request without asking the registry", async function () {
      expect(await hook()(event({ ThingName: "sensors-dev-attic-001", RoomId: "attic" }))).to.deep.equal({
        allowProvisioning: false,
      });
      expect(iot.commandCalls(ListThingPrincipalsCommand)).to.have.length(0);
      expect(logs[0]!.reason).to.equal('RoomId "attic" is not a room of sensors-dev (lab, office)');
    });

    it("refuses when the registry cannot be asked (fail closed)", async function () {
      iot
        .on(ListThingPrincipalsCommand)
        .rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }));
      expect(await hook()(event({ ThingName: "sensors-dev-lab-001", RoomId: "lab" }))).to.deep.equal({
        allowProvisioning: false,
      });
      expect(logs[0]!.reason).to.equal("registry lookup failed: Rate exceeded");
    });

    it("reads its rules from the environment, naming a missing or malformed variable", function () {
      expect(rulesFromEnvironment({ DEPLOYMENT: "sensors-dev", ROOMS: '["lab","office"]' })).to.deep.equal(
        rules,
      );
      expect(() => rulesFromEnvironment({ ROOMS: "[]" })).to.throw(
        "environment variable DEPLOYMENT is not set",
      );
      expect(() => rulesFromEnvironment({ DEPLOYMENT: "sensors-dev", ROOMS: "lab,office" })).to.throw(
        'environment variable ROOMS must be a JSON array of room IDs, e.g. ["lab","office"] (got "lab,office")',
      );
    });
  });

  describe("bundle", function () {
    const bundle = lambdaBundle(PRE_PROVISIONING_HOOK_ENTRY);

    it("is one CommonJS file that leaves the AWS SDK to the Lambda runtime", function () {
      expect(bundle.handler).to.equal("index.handler");
      expect(bundle.code).to.contain('require("@aws-sdk/client-iot")');
      expect(bundle.code).not.to.contain("smithy");
      expect(bundle.code.length).to.be.below(20_000);
    });

    it("is deterministic, so an unchanged handler deploys no diff", function () {
      expect(bundleHandler(PRE_PROVISIONING_HOOK_ENTRY)).to.equal(bundle.code);
      expect(bundle.code).not.to.contain("/work/");
    });

    it("runs: the bundled handler refuses a bad request the way the module does", async function () {
      const module = {
        exports: {} as { handler?: (e: PreProvisioningEvent) => Promise<PreProvisioningResponse> },
      };
      const load = new Function("module", "exports", "require", "process", bundle.code);
      const env = { ...process.env, DEPLOYMENT: "sensors-dev", ROOMS: '["lab"]', AWS_REGION: "eu-west-1" };
      const requireSdk = (id: string) => {
        if (id === "@aws-sdk/client-iot") return IotSdk;
        throw new Error(`the bundle requires ${id}, which the Lambda runtime does not provide`);
      };
      const silenced = console.log;
      console.log = () => undefined;
      try {
        load(module, module.exports, requireSdk, { ...process, env });
        expect(
          await module.exports.handler!(event({ ThingName: "sensors-dev-lab-1", RoomId: "lab" })),
        ).to.deep.equal({ allowProvisioning: false });
      } finally {
        console.log = silenced;
      }
    });
  });
});

import { expect } from "chai";
import {
  buildClaimPolicyDocument,
  buildDevicePolicyDocument,
  claimClientIdPrefix,
  IotPolicyDocument,
  IotPolicyStatement,
} from "../../../components/iot/iot-policy";
import { analyzeIotPolicy, isClaimPolicy } from "../../../components/iot/policy-analysis";
import {
  evaluateIotPolicy,
  IotConnectionContext,
  MqttRequest,
} from "../../../components/iot/policy-evaluator";
import { commandTopic, dataTopic } from "../../../components/telemetry/topics";

const scope = { region: "eu-west-1", accountId: "111122223333" };
const ARN = "arn:aws:iot:eu-west-1:111122223333:";
const DEPLOYMENT = "sensors-dev";
const device = buildDevicePolicyDocument({ ...scope, deployment: DEPLOYMENT });
const claim = buildClaimPolicyDocument({
  ...scope,
  deployment: DEPLOYMENT,
  templateName: "sensors-dev-sensors",
});
const attached = { Bool: { "iot:Connection.Thing.IsAttached": "true" } };
const ROOM = "${iot:Connection.Thing.Attributes[room]}";
const THING = "${iot:Connection.Thing.ThingName}";

/** A device whose certificate is attached to its thing, connecting with its thing name. */
const lab1: IotConnectionContext = {
  clientId: "sensors-dev-lab-001",
  thing: { name: "sensors-dev-lab-001", attributes: { room: "lab" } },
};
const allowed = (doc: IotPolicyDocument, ctx: IotConnectionContext, req: MqttRequest) =>
  evaluateIotPolicy(doc, scope, ctx, req).allowed;
const withStatement = (
  doc: IotPolicyDocument,
  index: number,
  change: Partial<IotPolicyStatement>,
): IotPolicyDocument => ({
  ...doc,
  Statement: doc.Statement.map((s, i) => (i === index ? ({ ...s, ...change } as IotPolicyStatement) : s)),
});
const checks = (doc: unknown) => analyzeIotPolicy(doc).map((f) => `${f.check} ${f.statement}`);

describe("IoT policy documents", function () {
  describe("device policy, statement by statement", function () {
    it("connects only as the thing the certificate is attached to", function () {
      expect(device.Statement[0]).to.deep.equal({
        Sid: "ConnectAsOwnThing",
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `${ARN}client/${THING}`,
        Condition: attached,
      });
    });

    it("publishes only to its own telemetry, diagnostics and command-response topics, in its own room", function () {
      expect(device.Statement[1]).to.deep.equal({
        Sid: "PublishOwnTopics",
        Effect: "Allow",
        Action: "iot:Publish",
        Resource: [
          `${ARN}topic/dt/sensors-dev/${ROOM}/${THING}/telemetry`,
          `${ARN}topic/dt/sensors-dev/${ROOM}/${THING}/diagnostics`,
          `${ARN}topic/cmd/sensors-dev/${ROOM}/${THING}/res`,
        ],
        Condition: attached,
      });
    });

    it("subscribes to and receives only its own command requests", function () {
      expect(device.Statement[2]).to.deep.equal({
        Sid: "SubscribeOwnCommands",
        Effect: "Allow",
        Action: "iot:Subscribe",
        Resource: [`${ARN}topicfilter/cmd/sensors-dev/${ROOM}/${THING}/req`],
        Condition: attached,
      });
      expect(device.Statement[3]).to.deep.equal({
        Sid: "ReceiveOwnCommands",
        Effect: "Allow",
        Action: "iot:Receive",
        Resource: [`${ARN}topic/cmd/sensors-dev/${ROOM}/${THING}/req`],
        Condition: attached,
      });
      expect(device.Statement).to.have.length(4);
    });

    it("uses the partition it is given", function () {
      const china = buildDevicePolicyDocument({
        region: "cn-north-1",
        accountId: "111122223333",
        partition: "aws-cn",
        deployment: DEPLOYMENT,
      });
      expect(china.Statement[0]!.Resource).to.equal(`arn:aws-cn:iot:cn-north-1:111122223333:client/${THING}`);
    });
  });

  describe("what a device can do (evaluated as IoT Core does)", function () {
    it("lets a device connect as itself, publish its readings and take its commands", function () {
      expect(allowed(device, lab1, { action: "iot:Connect" })).to.equal(true);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001"),
        }),
      ).to.equal(true);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "diagnostics"),
        }),
      ).to.equal(true);
      expect(
        allowed(device, lab1, {
          action: "iot:Subscribe",
          topicFilter: commandTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "req"),
        }),
      ).to.equal(true);
      expect(
        allowed(device, lab1, {
          action: "iot:Receive",
          topic: commandTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "req"),
        }),
      ).to.equal(true);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: commandTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "res"),
        }),
      ).to.equal(true);
    });

    it("refuses another client ID, another device's topics, another room and another deployment", function () {
      expect(
        allowed(
          device,
          { ...lab1, clientId: "sensors-dev-lab-002", thing: undefined },
          { action: "iot:Connect" },
        ),
      ).to.equal(false);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-002"),
        }),
      ).to.equal(false);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "office", "sensors-dev-lab-001"),
        }),
      ).to.equal(false);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: dataTopic("sensors-prod", "lab", "sensors-dev-lab-001"),
        }),
      ).to.equal(false);
      expect(
        allowed(device, lab1, {
          action: "iot:Receive",
          topic: commandTopic(DEPLOYMENT, "lab", "sensors-dev-lab-002", "req"),
        }),
      ).to.equal(false);
      expect(
        allowed(device, lab1, {
          action: "iot:Publish",
          topic: commandTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "req"),
        }),
      ).to.equal(false);
    });

    it("refuses wildcard subscriptions, even over the device's own topics", function () {
      for (const topicFilter of ["cmd/sensors-dev/lab/+/req", "cmd/sensors-dev/#", "#"]) {
        expect(allowed(device, lab1, { action: "iot:Subscribe", topicFilter }), topicFilter).to.equal(false);
      }
    });

    it("gives a certificate attached to no thing nothing at all", function () {
      const stranger: IotConnectionContext = { clientId: "sensors-dev-lab-001" };
      expect(evaluateIotPolicy(device, scope, stranger, { action: "iot:Connect" })).to.deep.equal({
        allowed: false,
        outcome: "implicit-deny",
      });
      expect(
        allowed(device, stranger, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001"),
        }),
      ).to.equal(false);
    });

    it("lets an explicit Deny win over an Allow", function () {
      const denied: IotPolicyDocument = {
        ...device,
        Statement: [
          ...device.Statement,
          {
            Sid: "NoDiagnostics",
            Effect: "Deny",
            Action: "iot:Publish",
            Resource: `${ARN}topic/dt/*/diagnostics`,
          },
        ],
      };
      expect(
        evaluateIotPolicy(denied, scope, lab1, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001", "diagnostics"),
        }),
      ).to.deep.equal({
        allowed: false,
        outcome: "explicit-deny",
        statement: "NoDiagnostics",
      });
    });

    it("refuses to guess about conditions it does not implement", function () {
      const odd = withStatement(device, 0, { Condition: { StringEquals: { "iot:ClientMode": "x" } } });
      expect(() => evaluateIotPolicy(odd, scope, lab1, { action: "iot:Connect" })).to.throw(
        "statement ConnectAsOwnThing: condition StringEquals iot:ClientMode is not supported by the local IoT policy evaluator",
      );
    });
  });

  describe("claim policy", function () {
    const tpl = "$aws/provisioning-templates/sensors-dev-sensors/provision/json";
    it("allows connecting with a claim client ID and the provisioning topics of one template, nothing else", function () {
      const claimClient: IotConnectionContext = { clientId: `${claimClientIdPrefix(DEPLOYMENT)}lab-001` };
      expect(claimClientIdPrefix(DEPLOYMENT)).to.equal("sensors-dev--claim-");
      expect(allowed(claim, claimClient, { action: "iot:Connect" })).to.equal(true);
      expect(
        allowed(claim, claimClient, { action: "iot:Publish", topic: "$aws/certificates/create/json" }),
      ).to.equal(true);
      expect(
        allowed(claim, claimClient, {
          action: "iot:Publish",
          topic: "$aws/certificates/create-from-csr/json",
        }),
      ).to.equal(true);
      expect(allowed(claim, claimClient, { action: "iot:Publish", topic: tpl })).to.equal(true);
      expect(
        allowed(claim, claimClient, { action: "iot:Subscribe", topicFilter: `${tpl}/accepted` }),
      ).to.equal(true);
      expect(
        allowed(claim, claimClient, {
          action: "iot:Receive",
          topic: "$aws/certificates/create/json/rejected",
        }),
      ).to.equal(true);
      // A registered device's client ID (connecting would disconnect the device), telemetry, other templates.
      expect(allowed(claim, { clientId: "sensors-dev-lab-001" }, { action: "iot:Connect" })).to.equal(false);
      expect(
        allowed(claim, claimClient, {
          action: "iot:Publish",
          topic: dataTopic(DEPLOYMENT, "lab", "sensors-dev-lab-001"),
        }),
      ).to.equal(false);
      expect(
        allowed(claim, claimClient, {
          action: "iot:Publish",
          topic: "$aws/provisioning-templates/other/provision/json",
        }),
      ).to.equal(false);
    });
  });

  describe("analysis (Device Defender's overly-permissive checks)", function () {
    it("passes the documents this project builds", function () {
      expect(analyzeIotPolicy(device)).to.deep.equal([]);
      expect(analyzeIotPolicy(JSON.stringify(claim))).to.deep.equal([]);
      expect(isClaimPolicy(claim)).to.equal(true);
      expect(isClaimPolicy(device)).to.equal(false);
    });

    it("fails connecting as any client", function () {
      expect(checks(withStatement(device, 0, { Resource: `${ARN}client/*` }))).to.deep.equal([
        "client-wildcard ConnectAsOwnThing",
      ]);
      expect(checks(withStatement(device, 0, { Resource: "*" }))).to.deep.equal([
        "client-wildcard ConnectAsOwnThing",
      ]);
    });

    it("fails the reserved topics of every thing", function () {
      const doc = withStatement(device, 1, { Resource: `${ARN}topic/$aws/things/*/shadow/update` });
      expect(checks(doc)).to.deep.equal(["thing-topic-wildcard PublishOwnTopics"]);
      // The device's own shadow is fine.
      expect(
        checks(withStatement(device, 1, { Resource: `${ARN}topic/$aws/things/${THING}/shadow/update` })),
      ).to.deep.equal([]);
    });

    it("fails an Allow statement without the IsAttached condition", function () {
      const { Condition: _dropped, ...unconditional } = device.Statement[2]!;
      const doc: IotPolicyDocument = {
        ...device,
        Statement: device.Statement.map((s, i) => (i === 2 ? unconditional : s)),
      };
      const findings = analyzeIotPolicy(doc);
      expect(findings.map((f) => `${f.check} ${f.statement}`)).to.deep.equal([
        "missing-is-attached SubscribeOwnCommands",
      ]);
      expect(findings[0]!.message).to.contain('no Bool condition "iot:Connection.Thing.IsAttached": "true"');
      expect(
        checks(
          withStatement(device, 2, { Condition: { Bool: { "iot:Connection.Thing.IsAttached": "false" } } }),
        ),
      ).to.deep.equal(["missing-is-attached SubscribeOwnCommands"]);
    });

    it("fails MQTT wildcards in a Deny (IoT policies match them literally)", function () {
      const doc: IotPolicyDocument = {
        ...device,
        Statement: [
          ...device.Statement,
          {
            Sid: "DenyOthers",
            Effect: "Deny",
            Action: "iot:Publish",
            Resource: `${ARN}topic/dt/sensors-dev/+/#`,
          },
        ],
      };
      expect(checks(doc)).to.deep.equal(["deny-mqtt-wildcard DenyOthers"]);
      const star = {
        ...doc,
        Statement: [
          ...device.Statement,
          {
            Sid: "DenyOthers",
            Effect: "Deny" as const,
            Action: "iot:Publish",
            Resource: `${ARN}topic/dt/sensors-dev/*`,
          },
        ],
      };
      expect(checks(star)).to.deep.equal([]);
    });

    it("fails iot:* and access to every topic", function () {
      expect(checks(withStatement(device, 1, { Action: "iot:*" }))).to.deep.equal([
        "action-wildcard PublishOwnTopics",
      ]);
      expect(checks(withStatement(device, 1, { Resource: `${ARN}topic/*` }))).to.deep.equal([
        "topic-wildcard PublishOwnTopics",
      ]);
      expect(checks(withStatement(device, 2, { Resource: `${ARN}topicfilter/*` }))).to.deep.equal([
        "topic-wildcard SubscribeOwnCommands",
      ]);
    });

    it("fails a claim policy that reaches beyond provisioning", function () {
      const doc = withStatement(claim, 1, {
        Resource: [`${ARN}topic/$aws/certificates/create/json`, `${ARN}topic/dt/sensors-dev/lab/x/telemetry`],
      });
      expect(checks(doc)).to.deep.equal(["claim-scope PublishProvisioningRequests"]);
      expect(
        checks(
          withStatement(claim, 1, { Resource: `${ARN}topic/$aws/provisioning-templates/*/provision/json` }),
        ),
      ).to.deep.equal(["claim-scope PublishProvisioningRequests"]);
    });

    it("reports a document that is not a policy", function () {
      expect(analyzeIotPolicy("{not json")[0]!.check).to.equal("malformed");
      expect(analyzeIotPolicy({ Version: "2012-10-17" })).to.deep.equal([
        { check: "malformed", statement: "-", message: "policy has no Statement" },
      ]);
    });
  });
});

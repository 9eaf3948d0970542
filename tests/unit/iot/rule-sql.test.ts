import { expect } from "chai";
import {
  buildNotJsonRuleSql,
  NOT_JSON_CONDITION,
  NOT_JSON_REASON,
  buildQuarantineRuleSql,
  buildTelemetryRuleSql,
  QUARANTINE_FIELDS,
  quarantineReasonExpression,
  ruleErrorObjectKey,
  telemetryChecks,
  topicRuleName,
} from "../../../components/iot/rule-sql";
import { TELEMETRY_FIELDS, validatePayload } from "../../../components/telemetry/schema";
import { dataTopic } from "../../../components/telemetry/topics";
import { parseRule, runRule, Message } from "./local-rule-engine";

const DEPLOYMENT = "sensors-dev";
const THING = "sensors-dev-lab-001";
const TOPIC = dataTopic(DEPLOYMENT, "lab", THING);
const RECEIVED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const telemetrySql = buildTelemetryRuleSql({ deployment: DEPLOYMENT });
const quarantineSql = buildQuarantineRuleSql({ deployment: DEPLOYMENT });
const telemetryRule = parseRule(telemetrySql);
const quarantineRule = parseRule(quarantineSql);
const notJsonSql = buildNotJsonRuleSql({ deployment: DEPLOYMENT });
const notJsonRule = parseRule(notJsonSql);

const VALID = {
  device_id: THING,
  room_id: "lab",
  ts: Date.UTC(2025, 5, 1, 11, 59, 58),
  seq: 41,
  temperature_c: 21.5,
  humidity_pct: 40.2,
  battery_pct: 88,
  rssi_dbm: -67,
  status: "ok",
};

const message = (payload: unknown, topic = TOPIC): Message => ({
  topic,
  payload: typeof payload === "string" ? payload : JSON.stringify(payload),
  receivedAt: RECEIVED_AT,
});

describe("topic rule SQL", function () {
  describe("telemetry rule text", function () {
    it("selects the schema columns in schema order: identity from the topic, measurements from the payload, receive time from the rule", function () {
      const select = telemetrySql.slice("SELECT ".length, telemetrySql.indexOf(" FROM "));
      expect(select).to.equal(
        "topic(4) AS device_id, topic(3) AS room_id, ts, seq, temperature_c, humidity_pct, battery_pct, rssi_dbm, status, timestamp() AS received_at",
      );
      expect(telemetryRule.select.map((s) => s.name)).to.deep.equal(TELEMETRY_FIELDS.map((f) => f.name));
    });

    it("reads every device's telemetry topic of the deployment only", function () {
      expect(telemetryRule.from).to.equal("dt/sensors-dev/+/+/telemetry");
    });

    it("keeps a message only when its quarantine reason is 'valid'", function () {
      expect(telemetrySql.endsWith(`WHERE (${quarantineReasonExpression()}) = 'valid'`)).to.equal(true);
    });
  });

  describe("quarantine rule text", function () {
    it("selects where the message came from, when, why, and the original payload", function () {
      expect(quarantineSql.slice(0, quarantineSql.indexOf(" FROM "))).to.equal(
        `SELECT topic() AS topic, topic(3) AS room_id, topic(4) AS device_id, timestamp() AS received_at, ${quarantineReasonExpression()} AS reason, encode(*, 'base64') AS payload_base64`,
      );
      expect(quarantineRule.select.map((s) => s.name)).to.deep.equal([...QUARANTINE_FIELDS]);
    });

    it("takes the JSON messages whose reason is not 'valid', from the same topics, leaving the rest to the not-JSON rule", function () {
      expect(quarantineRule.from).to.equal(telemetryRule.from);
      expect(notJsonRule.from).to.equal(telemetryRule.from);
      expect(
        quarantineSql.endsWith(
          `WHERE (${quarantineReasonExpression()}) <> 'valid' AND NOT ${NOT_JSON_CONDITION}`,
        ),
      ).to.equal(true);
    });
  });

  describe("the checks", function () {
    it("check every payload field of the schema for its type, and numbers for range and integrality", function () {
      const reasons = telemetryChecks().map((c) => c.reason);
      expect(reasons).to.include.members([
        "ts: missing",
        "ts: not a number",
        "ts: not an integer",
        "ts: below 1577836800000",
        "ts: above 4102444800000",
        "seq: missing",
        "seq: below 0",
        "temperature_c: missing",
        "temperature_c: below -40",
        "temperature_c: above 125",
        "humidity_pct: not a number",
        "humidity_pct: above 100",
        "battery_pct: below 0",
        "rssi_dbm: not an integer",
        "rssi_dbm: below -130",
        "status: not a string",
        "status: not one of ok|degraded|fault",
        "device_id: not a string",
        "device_id: does not match topic (<topic(4)>)",
        "room_id: does not match topic (<topic(3)>)",
      ]);
      // Optional fields are never "missing"; decimals are never checked for integrality.
      expect(reasons).not.to.include.members([
        "humidity_pct: missing",
        "temperature_c: not an integer",
        "device_id: missing",
      ]);
    });

    it("write each condition as one WHEN of one CASE, in check order", function () {
      const expression = quarantineReasonExpression();
      let position = 0;
      for (const check of telemetryChecks()) {
        const at = expression.indexOf(`WHEN ${check.condition} THEN`, position);
        expect(at, check.reason).to.be.greaterThan(position - 1);
        position = at;
      }
      expect(expression.startsWith("CASE true WHEN ")).to.equal(true);
      expect(expression.endsWith(" ELSE 'valid' END")).to.equal(true);
    });
  });

  describe("evaluated on messages (IoT SQL semantics)", function () {
    it("forwards a valid reading with the schema columns and the receive time", function () {
      expect(runRule(telemetryRule, message(VALID))).to.deep.equal({ ...VALID, received_at: RECEIVED_AT });
      expect(runRule(quarantineRule, message(VALID))).to.equal(undefined);
    });

    it("takes the identity from the topic and drops fields the schema does not have", function () {
      const { device_id: _d, room_id: _r, ...anonymous } = VALID;
      const out = runRule(telemetryRule, message({ ...anonymous, firmware: "1.2.3" }));
      expect(out).to.deep.equal({ ...VALID, received_at: RECEIVED_AT });
    });

    it("omits optional fields the device did not send", function () {
      const out = runRule(telemetryRule, message({ ts: VALID.ts, seq: 1, temperature_c: 20 }));
      expect(out).to.deep.equal({
        device_id: THING,
        room_id: "lab",
        ts: VALID.ts,
        seq: 1,
        temperature_c: 20,
        received_at: RECEIVED_AT,
      });
    });

    it("quarantines a reading claiming another device's identity, naming the topic's device", function () {
      const out = runRule(quarantineRule, message({ ...VALID, device_id: "sensors-dev-lab-002" }));
      expect(out).to.deep.include({
        reason: "device_id: does not match topic (sensors-dev-lab-001)",
        device_id: THING,
        room_id: "lab",
        topic: TOPIC,
      });
      expect(runRule(telemetryRule, message({ ...VALID, device_id: "sensors-dev-lab-002" }))).to.equal(
        undefined,
      );
    });

    it("leaves a payload that is not JSON to the not-JSON rule, which keeps it byte for byte with its reason", function () {
      const raw = "temp=21.5;seq=4";
      expect(runRule(quarantineRule, message(raw))).to.equal(undefined);
      expect(runRule(telemetryRule, message(raw))).to.equal(undefined);
      const out = runRule(notJsonRule, message(raw))!;
      expect(out).to.deep.equal({
        topic: TOPIC,
        room_id: "lab",
        device_id: THING,
        received_at: RECEIVED_AT,
        reason: NOT_JSON_REASON,
        payload_base64: Buffer.from(raw).toString("base64"),
      });
      // A JSON document, even one that is not an object, is the JSON rules' (ts: missing), not the not-JSON rule's.
      expect(runRule(notJsonRule, message([1, 2]))).to.equal(undefined);
      expect(runRule(quarantineRule, message([1, 2]))!.reason).to.equal("ts: missing");
    });

    it("writes the not-JSON rule with functions only: IoT Core evaluates it on any payload", function () {
      expect(notJsonSql).to.equal(
        `SELECT topic() AS topic, topic(3) AS room_id, topic(4) AS device_id, timestamp() AS received_at, concat('${NOT_JSON_REASON}') AS reason, encode(*, 'base64') AS payload_base64 FROM 'dt/sensors-dev/+/+/telemetry' WHERE ${NOT_JSON_CONDITION}`,
      );
    });

    it("ignores topics of other deployments and other message kinds", function () {
      for (const topic of [
        dataTopic("sensors-prod", "lab", THING),
        dataTopic(DEPLOYMENT, "lab", THING, "diagnostics"),
      ]) {
        expect(runRule(telemetryRule, message(VALID, topic))).to.equal(undefined);
        expect(runRule(quarantineRule, message(VALID, topic))).to.equal(undefined);
      }
    });

    it("routes every message to exactly one rule, and agrees with validatePayload on each (2,000 mutated readings)", function () {
      const mutations: ((p: Record<string, unknown>) => void)[] = [];
      const junk: unknown[] = [
        null,
        "x",
        "",
        true,
        [],
        {},
        1.5,
        -1,
        0,
        1e13,
        -1e3,
        200,
        1577836799999,
        4102444800001,
        "ok",
        "fault",
        "OK",
        9007199254740992,
      ];
      for (const field of [...Object.keys(VALID), "extra"]) {
        mutations.push((p) => delete p[field]);
        for (const value of junk) mutations.push((p) => (p[field] = value));
      }
      mutations.push(
        (p) => (p.device_id = "sensors-dev-lab-002"),
        (p) => (p.room_id = "office"),
      );
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let quarantined = 0;
      for (let n = 0; n < 2000; n++) {
        const payload: Record<string, unknown> = { ...VALID };
        const count = 1 + Math.floor(random() * 3);
        for (let k = 0; k < count; k++) mutations[Math.floor(random() * mutations.length)]!(payload);
        const msg = message(payload);
        const valid = runRule(telemetryRule, msg);
        const rejected = runRule(quarantineRule, msg);
        expect((valid ? 1 : 0) + (rejected ? 1 : 0), msg.payload).to.equal(1);
        const problems = validatePayload(payload, { deviceId: THING, roomId: "lab" });
        if (problems.length === 0) {
          expect(valid, msg.payload).to.not.equal(undefined);
        } else {
          quarantined++;
          expect(rejected?.reason, msg.payload).to.equal(`${problems[0]!.field}: ${problems[0]!.reason}`);
        }
      }
      // The corpus exercises both outcomes.
      expect(quarantined).to.be.within(200, 1990);
    });
  });

  describe("names and error keys", function () {
    it("names rules with letters, digits and underscores only", function () {
      expect(topicRuleName("sensors-dev", "telemetry")).to.equal("sensors_dev_telemetry");
      expect(() => topicRuleName("sensors-dev", "bad purpose")).to.throw(
        'topic rule name "sensors_dev_bad purpose" must be 1-128 letters, digits or "_"',
      );
    });

    it("keys failed messages by rule and arrival date under errors/iot-rule/", function () {
      expect(ruleErrorObjectKey("sensors_dev_telemetry")).to.equal(
        'errors/iot-rule/sensors_dev_telemetry/dt=${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/${newuuid()}.json',
      );
    });
  });
});

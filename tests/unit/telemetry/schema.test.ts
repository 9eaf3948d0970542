import { expect } from "chai";
import {
  duckDbColumns,
  glueColumns,
  PAYLOAD_FIELDS,
  TELEMETRY_FIELDS,
  telemetryField,
  validatePayload,
} from "../../../components/telemetry/schema";
import {
  commandTopic,
  dataTopic,
  parseDataTopic,
  telemetryTopicFilter,
  TOPIC_SEGMENT,
} from "../../../components/telemetry/topics";
import { fleetDevices, roomsOf, thingName } from "../../../components/telemetry/fleet";

const reading = {
  device_id: "sensors-dev-lab-001",
  room_id: "lab",
  ts: Date.UTC(2026, 10, 24),
  seq: 7,
  temperature_c: 21.5,
  humidity_pct: 40,
  battery_pct: 88,
  rssi_dbm: -61,
  status: "ok",
};

describe("telemetry schema", function () {
  it("lists the required fields in column order", function () {
    expect(TELEMETRY_FIELDS.map((f) => f.name)).to.deep.equal([
      "device_id",
      "room_id",
      "ts",
      "seq",
      "temperature_c",
      "humidity_pct",
      "battery_pct",
      "rssi_dbm",
      "status",
      "received_at",
    ]);
    expect(PAYLOAD_FIELDS.map((f) => f.name)).not.to.include("received_at");
  });

  it("derives Glue and DuckDB columns from the same fields", function () {
    expect(glueColumns().map((c) => [c.name, c.type])).to.deep.equal(
      TELEMETRY_FIELDS.map((f) => [f.name, f.type]),
    );
    expect(glueColumns().find((c) => c.name === "temperature_c")!.comment).to.equal("Air temperature [°C]");
    expect(duckDbColumns().find((c) => c.name === "seq")!.type).to.equal("BIGINT");
    expect(duckDbColumns().find((c) => c.name === "rssi_dbm")!.type).to.equal("INTEGER");
  });

  it("accepts a valid reading", function () {
    expect(validatePayload(reading, { deviceId: "sensors-dev-lab-001", roomId: "lab" })).to.deep.equal([]);
  });

  it("reports every problem of an invalid reading, in schema order", function () {
    expect(
      validatePayload({
        ...reading,
        ts: 5,
        seq: 1.5,
        temperature_c: 300,
        status: "melting",
        humidity_pct: "wet",
      }),
    ).to.deep.equal([
      { field: "ts", reason: `below ${Date.UTC(2020, 0, 1)}` },
      { field: "seq", reason: "not an integer" },
      { field: "temperature_c", reason: "above 125" },
      { field: "humidity_pct", reason: "not a number" },
      { field: "status", reason: "not one of ok|degraded|fault" },
    ]);
  });

  it("rejects missing required fields, non-objects, and identities that contradict the topic", function () {
    const { temperature_c: _dropped, ...withoutTemperature } = reading;
    expect(validatePayload(withoutTemperature)).to.deep.equal([
      { field: "temperature_c", reason: "missing" },
    ]);
    expect(validatePayload([1, 2])).to.deep.equal([{ field: "$", reason: "payload is not a JSON object" }]);
    expect(validatePayload(reading, { deviceId: "sensors-dev-lab-002", roomId: "lab" })).to.deep.equal([
      { field: "device_id", reason: "does not match topic (sensors-dev-lab-002)" },
    ]);
  });

  it("throws on a field name the schema does not have", function () {
    expect(() => telemetryField("temp")).to.throw(
      'telemetry schema has no field "temp"; known fields: device_id, room_id',
    );
  });
});

describe("topics", function () {
  it("builds dt/ telemetry and cmd/ topics and parses them back", function () {
    const topic = dataTopic("sensors-dev", "lab", "sensors-dev-lab-001");
    expect(topic).to.equal("dt/sensors-dev/lab/sensors-dev-lab-001/telemetry");
    expect(parseDataTopic(topic)).to.deep.equal({
      app: "sensors-dev",
      roomId: "lab",
      thingName: "sensors-dev-lab-001",
      kind: "telemetry",
    });
    expect(topic.split("/")[TOPIC_SEGMENT.thing - 1]).to.equal("sensors-dev-lab-001");
    expect(commandTopic("sensors-dev", "lab", "t1", "req")).to.equal("cmd/sensors-dev/lab/t1/req");
    expect(telemetryTopicFilter("sensors-dev")).to.equal("dt/sensors-dev/+/+/telemetry");
  });

  it("refuses segments that would break the topic tree", function () {
    expect(() => dataTopic("sensors", "lab/1", "t")).to.throw('room "lab/1" cannot be used in an MQTT topic');
    expect(() => dataTopic("sensors", "lab", "#")).to.throw('thing "#" cannot be used in an MQTT topic');
    expect(parseDataTopic("dt/sensors/lab/t/telemetry/extra")).to.equal(undefined);
    expect(parseDataTopic("cmd/sensors/lab/t/req")).to.equal(undefined);
  });
});

describe("fleet layout", function () {
  it("names devices room by room with zero-padded indexes", function () {
    expect(fleetDevices("sensors-dev", ["lab", "office"], 2)).to.deep.equal([
      { thingName: "sensors-dev-lab-001", roomId: "lab", index: 1 },
      { thingName: "sensors-dev-lab-002", roomId: "lab", index: 2 },
      { thingName: "sensors-dev-office-001", roomId: "office", index: 1 },
      { thingName: "sensors-dev-office-002", roomId: "office", index: 2 },
    ]);
    expect(thingName("sensors-prod", "hall_a", 1234)).to.equal("sensors-prod-hall_a-1234");
  });

  it("gives rooms different numbers of sensors, and names a bad count", function () {
    const devices = fleetDevices("acme-dev", { line_1: 2, cold: 1 });
    expect(devices.map((d) => d.thingName)).to.deep.equal([
      "acme-dev-line_1-001",
      "acme-dev-line_1-002",
      "acme-dev-cold-001",
    ]);
    expect(roomsOf(devices)).to.deep.equal(["line_1", "cold"]);
    expect(() => fleetDevices("acme-dev", { lab: 0 })).to.throw(
      "room lab needs a whole number of sensors, at least 1 (got 0)",
    );
  });
});

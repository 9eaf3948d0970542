// The local rules engine on the generated rule SQL: parsing refuses anything outside the documented subset,
// and evaluation splits every message between the telemetry and the quarantine rule exactly as the schema's
// reference validation (validatePayload) says, with the same reason text.
import { expect } from "chai";
import {
  buildTelemetryRuleSql,
  isNumberSql,
  isStringSql,
  NOT_JSON_REASON,
} from "../../../components/iot/rule-sql";
import { TELEMETRY_FIELDS, validatePayload } from "../../../components/telemetry/schema";
import { dataTopic } from "../../../components/telemetry/topics";
import { compileStatement, decodeMessage, UNDEFINED, compileExpression } from "../../../local/rule/evaluate";
import { IotSqlError, parseIotSql } from "../../../local/rule/iot-sql";
import { TopicRules } from "../../../local/rule/topic-rules";

const DEPLOYMENT = "sensors-dev";
const THING = "sensors-dev-lab-001";
const TOPIC = dataTopic(DEPLOYMENT, "lab", THING);
const RECEIVED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
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
const rules = new TopicRules(DEPLOYMENT);
const message = (payload: unknown, topic = TOPIC) => ({
  topic,
  payload: Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
  receivedAt: RECEIVED_AT,
});

describe("local rule engine", function () {
  describe("parsing", function () {
    it("parses both generated rules and reads the deployment's telemetry topics", function () {
      expect(rules.topicFilter).to.equal("dt/sensors-dev/+/+/telemetry");
      const statement = parseIotSql(buildTelemetryRuleSql({ deployment: DEPLOYMENT }));
      expect(statement.select.map((s) => s.name)).to.deep.equal(TELEMETRY_FIELDS.map((f) => f.name));
    });

    const refused: [string, string, RegExp][] = [
      [
        "an unknown function",
        "SELECT upper(status) AS s FROM 'dt/a/+/+/telemetry'",
        /function upper\(\) is not in the IoT SQL subset/,
      ],
      [
        "LIKE",
        "SELECT ts FROM 'dt/a/+/+/telemetry' WHERE status LIKE 'o%'",
        /LIKE is not in the IoT SQL subset/,
      ],
      ["SELECT *", "SELECT * FROM 'dt/a/+/+/telemetry'", /SELECT \* is not in the supported subset/],
      ["a # filter", "SELECT ts FROM 'dt/a/#'", /the # wildcard is outside the subset/],
      [
        "arithmetic",
        "SELECT ts FROM 'dt/a/+/+/telemetry' WHERE ts - 1 > 0",
        /'-' is supported only directly before a number literal/,
      ],
      [
        "a searched CASE",
        "SELECT CASE WHEN ts > 1 THEN 'a' END AS x FROM 'dt/a/+/+/telemetry'",
        /the searched CASE/,
      ],
      // IoT SQL has no isNumber() or isString() (its functions page lists isNull and isUndefined only): a rule
      // using them would not run in IoT Core, so the local backend refuses it too.
      [
        "isNumber(), which IoT SQL does not have",
        "SELECT ts FROM 'dt/a/+/+/telemetry' WHERE isNumber(ts)",
        /function isNumber\(\) is not in/,
      ],
      [
        "isString(), which IoT SQL does not have",
        "SELECT ts FROM 'dt/a/+/+/telemetry' WHERE isString(ts)",
        /function isString\(\) is not in/,
      ],
      [
        "a cast to a type outside the subset",
        "SELECT cast(ts AS Int) AS t FROM 'dt/a/+/+/telemetry'",
        /AS Decimal or AS String/,
      ],
      ["an expression without a name", "SELECT floor(ts) FROM 'dt/a/+/+/telemetry'", /needs AS <name>/],
      [
        "encode of a field",
        "SELECT encode(ts, 'base64') AS b FROM 'dt/a/+/+/telemetry'",
        /only encode\(\*, 'base64'\)/,
      ],
      [
        "a wrong argument count",
        "SELECT topic(1, 2) AS t FROM 'dt/a/+/+/telemetry'",
        /topic\(\) takes 0 to 1 argument\(s\), got 2/,
      ],
      [
        "a stray character",
        "SELECT ts FROM 'dt/a/+/+/telemetry' WHERE ts >= 1",
        /unexpected "=" after the statement|unexpected "="/,
      ],
    ];
    for (const [what, sql, message] of refused) {
      it(`refuses ${what} at start-up, naming where`, function () {
        expect(() => parseIotSql(sql))
          .to.throw(IotSqlError, message)
          .with.property("message")
          .that.matches(/at character \d+/);
      });
    }

    it("names the rule that cannot run when the backend starts", function () {
      expect(
        () =>
          new TopicRules(DEPLOYMENT, {
            telemetry: "SELECT upper(x) AS y FROM 'dt/a/+/+/telemetry'",
            quarantine: "SELECT ts FROM 'dt/a/+/+/telemetry'",
            notJson: "SELECT topic() AS t FROM 'dt/a/+/+/telemetry'",
          }),
      ).to.throw(/the telemetry topic rule cannot run locally: function upper\(\)/);
    });
  });

  describe("IoT SQL semantics", function () {
    const evaluate = (expression: string, payload: unknown) =>
      compileExpression(parseIotSql(`SELECT ${expression} AS v FROM 'dt/+'`).select[0]!.expression)(
        decodeMessage(message(payload, "dt/x")),
      );

    it("treats a missing field as Undefined and JSON null as Null", function () {
      expect(evaluate("isUndefined(a)", {})).to.equal(true);
      expect(evaluate("isNull(a)", { a: null })).to.equal(true);
      expect(evaluate("isUndefined(a)", { a: null })).to.equal(false);
    });

    it("compares and combines as the operators page's tables say, with Undefined winning and no short-circuit", function () {
      // < and > convert both sides to Decimal: a decimal string compares as its number, any other as Undefined.
      expect(evaluate("a < 3", { a: "2" })).to.equal(true);
      expect(evaluate("a > 3", { a: "2.5E1" })).to.equal(true);
      expect(evaluate("a < 3", { a: "two" })).to.equal(UNDEFINED);
      expect(evaluate("a < 3", { a: true })).to.equal(UNDEFINED);
      // = of mismatched types is false and <> true; Undefined on either side is Undefined.
      expect(evaluate("a = 'x'", { a: 1 })).to.equal(false);
      expect(evaluate("a <> 'x'", { a: 1 })).to.equal(true);
      expect(evaluate("a = 2", { a: "2" })).to.equal(false);
      expect(evaluate("a = 'x'", {})).to.equal(UNDEFINED);
      expect(evaluate("a <> 'x'", {})).to.equal(UNDEFINED);
      expect(evaluate("a = b", { a: [1, { c: 2, d: 3 }], b: [1, { d: 3, c: 2 }] })).to.equal(true);
      expect(evaluate("a = b", { a: [1, 2], b: [2, 1] })).to.equal(false);
      expect(evaluate("a <> b", { a: null, b: null })).to.equal(false);
      // AND, OR and NOT take Booleans and the strings "true"/"false"; anything else is Undefined, both sides read.
      expect(evaluate("a < 3 OR true", { a: "two" })).to.equal(UNDEFINED);
      expect(evaluate("false AND a > 1", {})).to.equal(UNDEFINED);
      expect(evaluate("NOT a", { a: 1 })).to.equal(UNDEFINED);
      expect(evaluate("NOT a", { a: "TRUE" })).to.equal(false);
      expect(evaluate("a AND true", { a: "false" })).to.equal(false);
      expect(evaluate("a = 'x' AND b <> 2", { a: "x", b: 3 })).to.equal(true);
    });

    it("evaluates the simple CASE by equality with the subject, falling through Undefined conditions", function () {
      expect(
        evaluate("CASE true WHEN a > 1 THEN 'big' WHEN a < 1 THEN 'small' ELSE 'one' END", { a: 0 }),
      ).to.equal("small");
      expect(evaluate("CASE true WHEN a > 1 THEN 'big' ELSE 'other' END", { a: "text" })).to.equal("other");
    });

    it("implements topic(), timestamp(), floor(), concat() and encode(*, 'base64')", function () {
      const statement = compileStatement(
        parseIotSql(
          "SELECT topic(3) AS room, topic() AS t, topic(9) AS none, timestamp() AS at, floor(x) AS f, concat('a', topic(1)) AS c, encode(*, 'base64') AS raw FROM 'dt/+/+/+/telemetry'",
        ),
      );
      const out = statement.run(decodeMessage(message({ x: 2.7 })));
      expect(out).to.deep.equal({
        room: "lab",
        t: TOPIC,
        at: RECEIVED_AT,
        f: 2,
        c: "adt",
        raw: Buffer.from(JSON.stringify({ x: 2.7 })).toString("base64"),
      });
    });

    it("casts and concatenates as IoT SQL's function tables say", function () {
      expect(evaluate("cast(a AS Decimal)", { a: "-1.5E2" })).to.equal(-150);
      expect(evaluate("cast(a AS Decimal)", { a: 21.5 })).to.equal(21.5);
      expect(evaluate("cast(a AS Decimal)", { a: true })).to.equal(1);
      for (const a of [" 12", "0x1F", "NaN", "", null, [1], { b: 1 }])
        expect(evaluate("cast(a AS Decimal)", { a }), JSON.stringify(a)).to.equal(UNDEFINED);
      expect(evaluate("cast(a AS String)", { a: "x" })).to.equal("x");
      expect(evaluate("cast(a AS String)", { a: 12 })).to.equal("12");
      expect(evaluate("cast(a AS String)", { a: false })).to.equal("false");
      expect(evaluate("cast(a AS String)", { a: [1, "b"] })).to.equal('[1,"b"]');
      expect(evaluate("cast(a AS String)", { a: null })).to.equal(UNDEFINED);
      expect(evaluate("cast(a AS String)", {})).to.equal(UNDEFINED);
      // concat: the functions page's examples.
      expect(evaluate("concat(1, 'hello')", {})).to.equal("1hello");
      expect(evaluate("concat('he', 'is', 'man')", {})).to.equal("heisman");
      expect(evaluate("concat(a, 'hello')", { a: [1, 2, 3] })).to.deep.equal([1, 2, 3, "hello"]);
      expect(evaluate("concat(a, 'x')", { a: null })).to.equal(UNDEFINED);
      // floor() converts a decimal string first, as the functions page says.
      expect(evaluate("floor(a)", { a: "12.7" })).to.equal(12);
      expect(evaluate("floor(a)", { a: "twelve" })).to.equal(UNDEFINED);
    });

    it("tests a value's type with cast and CASE, always true or false (so NOT of it is never Undefined)", function () {
      const values: [string, unknown, "number" | "string" | "other"][] = [
        ["an integer", 21, "number"],
        ["a decimal", -3.25, "number"],
        ["a decimal string", "21.5", "string"],
        ["a word", "warm", "string"],
        ["an empty string", "", "string"],
        ["true", true, "other"],
        ["false", false, "other"],
        ["null", null, "other"],
        ["an array", [21], "other"],
        ["an object", { c: 21 }, "other"],
      ];
      for (const [what, a, type] of values) {
        expect(evaluate(isNumberSql("a"), { a }), `isNumberSql of ${what}`).to.equal(type === "number");
        expect(evaluate(isStringSql("a"), { a }), `isStringSql of ${what}`).to.equal(type === "string");
        expect(evaluate(`NOT ${isNumberSql("a")}`, { a }), `NOT isNumberSql of ${what}`).to.equal(
          type !== "number",
        );
        expect(evaluate(`NOT ${isStringSql("a")}`, { a }), `NOT isStringSql of ${what}`).to.equal(
          type !== "string",
        );
      }
      expect(evaluate(isNumberSql("a"), {}), "a missing field").to.equal(false);
      expect(evaluate(isStringSql("a"), {}), "a missing field").to.equal(false);
    });

    it("decodes base64 to a JSON document when it is one and to a string otherwise; concat(a) is a", function () {
      expect(evaluate("decode(encode(*, 'base64'), 'base64')", { a: 1 })).to.deep.equal({ a: 1 });
      const decoded = "decode(encode(*, 'base64'), 'base64')";
      expect(evaluate(isStringSql(decoded), "temperature=21")).to.equal(true);
      expect(evaluate(isStringSql(decoded), [1, 2])).to.equal(false);
      expect(evaluate("concat('only')", {})).to.equal("only");
    });

    it("does not evaluate a statement referring to JSON names on a payload that is not JSON, as IoT Core", function () {
      const rule = (sql: string) => compileStatement(parseIotSql(sql));
      const text = decodeMessage(message("temperature=21"));
      expect(rule("SELECT topic() AS t FROM 'dt/+/+/+/telemetry' WHERE isUndefined(ts)").run(text)).to.equal(
        undefined,
      );
      expect(rule("SELECT ts AS t FROM 'dt/+/+/+/telemetry'").run(text)).to.equal(undefined);
      expect(rule("SELECT topic() AS t FROM 'dt/+/+/+/telemetry'").run(text)).to.deep.equal({ t: TOPIC });
    });
  });

  describe("routing", function () {
    it("sends a valid reading to telemetry with the schema's columns, identity from the topic and the receive time", function () {
      const outcome = rules.route(message(VALID));
      expect(outcome).to.deep.equal({ kind: "telemetry", record: { ...VALID, received_at: RECEIVED_AT } });
      expect(Object.keys(outcome.kind === "telemetry" ? outcome.record : {})).to.deep.equal(
        TELEMETRY_FIELDS.map((f) => f.name),
      );
    });

    it("drops payload fields the schema does not have and omits absent optional ones", function () {
      const { humidity_pct: _h, ...rest } = VALID;
      const outcome = rules.route(message({ ...rest, firmware: "1.2" }));
      expect(outcome.kind).to.equal("telemetry");
      expect(outcome.kind === "telemetry" && outcome.record).to.not.have.any.keys("firmware", "humidity_pct");
    });

    it("ignores topics outside the rules' filter (diagnostics), as IoT Core does", function () {
      expect(rules.route(message(VALID, dataTopic(DEPLOYMENT, "lab", THING, "diagnostics")))).to.deep.equal({
        kind: "ignored",
      });
    });

    // Each case: a payload, and the reason validatePayload (the schema's reference) gives first.
    it("quarantines a payload that is not JSON with the not-JSON rule's reason and the original bytes", function () {
      for (const payload of ["temperature=21", "", '{"ts": 1', "\u00ff\u00fe binary"]) {
        const sent = message(payload);
        const outcome = rules.route(sent);
        expect(outcome.kind, JSON.stringify(payload)).to.equal("quarantine");
        if (outcome.kind !== "quarantine") return;
        expect(outcome.record).to.include({ reason: NOT_JSON_REASON, device_id: THING, room_id: "lab" });
        expect(Buffer.from(outcome.record.payload_base64, "base64").equals(sent.payload)).to.equal(true);
      }
    });

    const malformed: [string, unknown][] = [
      ["a JSON array", [1, 2]],
      ["a missing ts", { ...VALID, ts: undefined }],
      ["a null seq", { ...VALID, seq: null }],
      ["a string temperature", { ...VALID, temperature_c: "21" }],
      ["a temperature above the sensor's range", { ...VALID, temperature_c: 125.01 }],
      ["a temperature below it", { ...VALID, temperature_c: -40.5 }],
      ["a fractional seq", { ...VALID, seq: 1.5 }],
      ["a negative seq", { ...VALID, seq: -1 }],
      ["a ts before 2020", { ...VALID, ts: Date.UTC(2019, 11, 31) }],
      ["a humidity above 100", { ...VALID, humidity_pct: 101 }],
      ["a fractional rssi", { ...VALID, rssi_dbm: -60.5 }],
      ["an unknown status", { ...VALID, status: "broken" }],
      ["a numeric status", { ...VALID, status: 3 }],
      ["another device's identity", { ...VALID, device_id: "sensors-dev-lab-002" }],
      ["another room", { ...VALID, room_id: "office" }],
      ["a null device_id", { ...VALID, device_id: null }],
    ];
    for (const [what, payload] of malformed) {
      it(`quarantines ${what} with the schema's reason and the original bytes`, function () {
        const sent = message(payload);
        const outcome = rules.route(sent);
        expect(outcome.kind).to.equal("quarantine");
        if (outcome.kind !== "quarantine") return;
        let decoded: unknown;
        try {
          decoded = JSON.parse(sent.payload.toString());
        } catch {
          decoded = {};
        }
        const fields =
          typeof decoded === "object" && decoded !== null && !Array.isArray(decoded) ? decoded : {};
        const [first] = validatePayload(fields, { deviceId: THING, roomId: "lab" });
        expect(outcome.record.reason).to.equal(`${first!.field}: ${first!.reason}`);
        expect(outcome.record).to.include({
          topic: TOPIC,
          room_id: "lab",
          device_id: THING,
          received_at: RECEIVED_AT,
        });
        expect(Buffer.from(outcome.record.payload_base64, "base64").equals(sent.payload)).to.equal(true);
      });
    }
  });
});

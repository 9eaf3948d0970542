// AthenaAnalytics and QuickSightDashboard under mocks, for the defaults of each stack and each override.
import { expect } from "chai";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { parsePlatformConfig } from "../../../components/config";
import { readStackFile } from "../../../components/stack-files";
import { runAnalyticsSlice, AnalyticsRun } from "../ml/analytics-stack";
import { decodePrestoView } from "../../../components/analytics/catalog-tables";
import {
  analyticsViews,
  hiveType,
  renderQuery,
  ANALYTICS_QUERIES,
} from "../../../components/analytics/queries";
import { validateAthenaAnalyticsArgs } from "../../../components/analytics/athena-analytics";
import { datasetInputColumns, VIEWER_ACTIONS } from "../../../components/analytics/quicksight-definition";
import { evaluatePolicies } from "../../../policies/harness";

const WORKGROUP = "aws:athena/workgroup:Workgroup";
const TABLE = "aws:glue/catalogTable:CatalogTable";
const NAMED_QUERY = "aws:athena/namedQuery:NamedQuery";
const DATA_SOURCE = "aws:quicksight/dataSource:DataSource";
const DATA_SET = "aws:quicksight/dataSet:DataSet";
const STACK = "aws:cloudformation/stack:Stack";
const MIB = 1024 * 1024;

/** The dev stack's model: its features and rules shape the scoring_input named query. */
const DEV_MODEL = buildModelSettings(parsePlatformConfig(readStackFile("dev")).anomaly);

describe("analytics components", function () {
  let dev: AnalyticsRun;
  let prod: AnalyticsRun;
  before(async function () {
    dev = await runAnalyticsSlice("dev");
    prod = await runAnalyticsSlice("prod");
  });

  const keyArn = (run: AnalyticsRun) =>
    run.ofType("aws:kms/key:Key").find((k) => k.name.endsWith("-lake-key"))!.state.arn;
  const bucketName = (run: AnalyticsRun, role: string) =>
    run.named("aws:s3/bucket:Bucket", `${run.value.deployment}-lake-${role}`).state.bucket as string;

  it("enforces the workgroup: engine v3, SSE-KMS results with the lake key, the scan limit from config", function () {
    for (const [run, cutoff] of [
      [dev, 100 * MIB],
      [prod, 10240 * MIB],
    ] as const) {
      const [workgroup] = run.ofType(WORKGROUP);
      expect(workgroup!.inputs.name).to.equal(`${run.value.deployment}-analytics`);
      expect(workgroup!.inputs.configuration).to.deep.equal({
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${bucketName(run, "results")}/athena/`,
          encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: keyArn(run) },
          expectedBucketOwner: "111122223333",
        },
      });
    }
  });

  it("catalogues the anomalies table with partition projection over the configured rooms", function () {
    const table = prod.named(TABLE, "sensors-prod-analytics-anomalies");
    const curated = bucketName(prod, "curated");
    expect(table.inputs).to.deep.include({
      name: "anomalies",
      databaseName: "sensors_prod",
      tableType: "EXTERNAL_TABLE",
    });
    const parameters = table.inputs.parameters as Record<string, string>;
    expect(parameters["projection.room_id.values"]).to.equal(
      "plant1_hall_a,plant1_hall_b,plant1_cold_store,plant2_hall_a,plant2_server_room,hq_office",
    );
    expect(parameters["storage.location.template"]).to.equal(
      `s3://${curated}/anomalies/room_id=\${room_id}/dt=\${dt}/`,
    );
    const sd = table.inputs.storageDescriptor as {
      location: string;
      serDeInfo: { serializationLibrary: string };
    };
    expect(sd.location).to.equal(`s3://${curated}/anomalies/`);
    expect(sd.serDeInfo.serializationLibrary).to.equal("org.openx.data.jsonserde.JsonSerDe");
    expect(dev.named(TABLE, "sensors-dev-analytics-anomalies").inputs.parameters).to.deep.include({
      "projection.room_id.values": "lab,office",
    });
  });

  it("catalogues every view as an Athena (Presto) view of the rendered SQL, with its typed columns", function () {
    const views = dev.ofType(TABLE).filter((t) => t.inputs.tableType === "VIRTUAL_VIEW");
    expect(views.map((v) => v.inputs.name).sort()).to.deep.equal(
      analyticsViews()
        .map((v) => v.name)
        .sort(),
    );
    for (const view of analyticsViews()) {
      const table = dev.named(TABLE, `sensors-dev-analytics-view-${view.name}`);
      const presto = decodePrestoView(table.inputs.viewOriginalText as string);
      expect(presto).to.deep.equal({
        originalSql: renderQuery(view.name, "athena", DEV_MODEL).text,
        catalog: "awsdatacatalog",
        schema: "sensors_dev",
        columns: view.columns.map((c) => ({ name: c.name, type: c.type })),
      });
      const columns = (table.inputs.storageDescriptor as { columns: { name: string; type: string }[] })
        .columns;
      expect(columns.map((c) => [c.name, c.type])).to.deep.equal(
        view.columns.map((c) => [c.name, hiveType(c.type)]),
      );
      expect(table.inputs.parameters).to.deep.equal({ presto_view: "true", comment: "Presto View" });
    }
  });

  it("saves every SQL file as a named query in the workgroup, and as a generated document", function () {
    const queries = dev.ofType(NAMED_QUERY);
    expect(queries).to.have.length(ANALYTICS_QUERIES.length);
    for (const query of ANALYTICS_QUERIES) {
      const saved = dev.named(NAMED_QUERY, `sensors-dev-analytics-query-${query.name}`);
      expect(saved.inputs).to.deep.include({
        name: `sensors-dev-${query.name}`,
        database: "sensors_dev",
        workgroup: "sensors-dev-analytics",
        query: renderQuery(query.name, "athena", DEV_MODEL).text,
      });
      const doc = dev.documents.find((d) => d.name === `athena-${query.name.replace(/_/g, "-")}`);
      expect(doc?.kind).to.equal("sql");
      expect(doc?.content).to.equal(renderQuery(query.name, "athena", DEV_MODEL).text);
    }
  });

  it("rejects a scan limit under Athena's minimum, naming the setting", function () {
    expect(validateAthenaAnalyticsArgs({ bytesScannedCutoffPerQuery: 1024, rooms: ["lab"] })).to.deep.equal([
      "bytesScannedCutoffPerQuery must be a whole number of bytes of at least 10485760 (10 MiB, Athena's minimum) (got 1024); raise sensor-analytics:athenaBytesScannedCutoffMiB",
    ]);
    expect(validateAthenaAnalyticsArgs({ bytesScannedCutoffPerQuery: 10 * MIB, rooms: [] })).to.have.length(
      1,
    );
  });

  it("dev has no QuickSight; prod has an SSL data source, three direct-query datasets and the dashboard", function () {
    for (const type of [DATA_SOURCE, DATA_SET, STACK]) expect(dev.ofType(type), type).to.have.length(0);
    const [source] = prod.ofType(DATA_SOURCE);
    const role = prod.named("aws:iam/role:Role", "sensors-prod-quicksight-athena-role");
    expect(source!.inputs).to.deep.include({
      type: "ATHENA",
      dataSourceId: "sensors-prod-athena",
      sslProperties: { disableSsl: false },
    });
    expect(source!.inputs.parameters).to.deep.equal({
      athena: { workGroup: "sensors-prod-analytics", roleArn: role.state.arn },
    });
    const principals = [
      "arn:aws:quicksight:us-east-1:111122223333:group/default/iot-analysts",
      "arn:aws:quicksight:us-east-1:111122223333:user/default/ops-lead",
    ];
    expect(source!.inputs.permissions).to.deep.equal(
      principals.map((principal) => ({ principal, actions: [...VIEWER_ACTIONS.dataSource] })),
    );

    const sets = prod.ofType(DATA_SET);
    expect(sets.map((s) => s.inputs.dataSetId).sort()).to.deep.equal([
      "sensors-prod-anomalies-last-24h",
      "sensors-prod-device-completeness",
      "sensors-prod-hourly-room-stats",
    ]);
    const hourly = prod.named(DATA_SET, "sensors-prod-quicksight-dataset-hourly_room_stats");
    expect(hourly.inputs.importMode).to.equal("DIRECT_QUERY");
    expect(hourly.inputs.physicalTableMaps).to.deep.equal([
      {
        physicalTableMapId: "hourly-room-stats",
        relationalTable: {
          dataSourceArn: source!.state.arn,
          catalog: "AwsDataCatalog",
          schema: "sensors_prod",
          name: "hourly_room_stats",
          inputColumns: datasetInputColumns("hourly_room_stats"),
        },
      },
    ]);
    expect(datasetInputColumns("hourly_room_stats").slice(0, 3)).to.deep.equal([
      { name: "room_id", type: "STRING" },
      { name: "hour", type: "DATETIME" },
      { name: "readings", type: "INTEGER" },
    ]);
  });

  it("deploys the dashboard definition through CloudFormation, referencing the datasets, viewable by the principals", function () {
    const [stack] = prod.ofType(STACK);
    const template = JSON.parse(stack!.inputs.templateBody as string) as {
      Resources: { Dashboard: { Type: string; Properties: Record<string, unknown> } };
    };
    const dashboard = template.Resources.Dashboard;
    expect(dashboard.Type).to.equal("AWS::QuickSight::Dashboard");
    expect(dashboard.Properties).to.deep.include({
      AwsAccountId: "111122223333",
      DashboardId: "sensors-prod-sensor-analytics",
    });
    const definition = dashboard.Properties.Definition as {
      DataSetIdentifierDeclarations: { Identifier: string; DataSetArn: string }[];
      Sheets: { Visuals: Record<string, { VisualId: string }>[] }[];
    };
    const arnOf = (view: string) => prod.named(DATA_SET, `sensors-prod-quicksight-dataset-${view}`).state.arn;
    expect(definition.DataSetIdentifierDeclarations).to.deep.equal(
      ["hourly_room_stats", "anomalies_last_24h", "device_completeness"].map((view) => ({
        Identifier: view,
        DataSetArn: arnOf(view),
      })),
    );
    expect(definition.Sheets[0]!.Visuals.map((v) => Object.keys(v)[0])).to.deep.equal([
      "LineChartVisual",
      "TableVisual",
      "BarChartVisual",
    ]);
    expect(
      (dashboard.Properties.Permissions as { Principal: string }[]).map((p) => p.Principal),
    ).to.have.length(2);
    expect(prod.documents.find((d) => d.name === "quicksight-dashboard-definition")?.content).to.deep.equal(
      template,
    );
  });

  it("scopes the QuickSight role to the workgroup, the lake catalog, the zones the views read and the lake key", function () {
    const role = prod.named("aws:iam/role:Role", "sensors-prod-quicksight-athena-role");
    const policy = JSON.parse((role.inputs.inlinePolicies as { policy: string }[])[0]!.policy) as {
      Statement: { Sid: string; Resource: string | string[] }[];
    };
    const raw = bucketName(prod, "raw");
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s.Resource]));
    expect(bySid.RunQueriesInTheWorkgroup).to.deep.equal([prod.ofType(WORKGROUP)[0]!.state.arn]);
    expect(bySid.ReadTheZonesTheViewsRead).to.include(`arn:aws:s3:::${raw}/telemetry/*`);
    expect(bySid.UseTheLakeKey).to.equal(keyArn(prod));
    expect(JSON.stringify(policy)).not.to.include('"*"');
  });

  it("passes the whole policy pack on both stacks, and a weakened workgroup fails it", async function () {
    for (const run of [dev, prod]) {
      const report = await evaluatePolicies(run.resources);
      expect(report.mandatory.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
    }
    const weak = await runAnalyticsSlice("dev", { athenaBytesScannedCutoffMiB: 10 });
    const workgroup = weak.ofType(WORKGROUP)[0]!;
    (workgroup.inputs.configuration as Record<string, unknown>).enforceWorkgroupConfiguration = false;
    const report = await evaluatePolicies(weak.resources);
    expect(report.mandatory.map((v) => v.policy)).to.deep.equal(["athena-workgroup-enforced"]);
  });

  it("keeps the names of the default dev stack's analytics resources (renaming one replaces it)", function () {
    const names = dev.resources
      .filter((r) => r.name.startsWith("sensors-dev-analytics"))
      .map((r) => `${r.type}::${r.name}`)
      .sort();
    expect(names).to.deep.equal(
      [
        "aws:athena/namedQuery:NamedQuery::sensors-dev-analytics-query-anomalies_last_24h",
        "aws:athena/namedQuery:NamedQuery::sensors-dev-analytics-query-device_completeness",
        "aws:athena/namedQuery:NamedQuery::sensors-dev-analytics-query-hourly_room_stats",
        "aws:athena/namedQuery:NamedQuery::sensors-dev-analytics-query-latest_reading_per_sensor",
        "aws:athena/namedQuery:NamedQuery::sensors-dev-analytics-query-scoring_input",
        "aws:athena/workgroup:Workgroup::sensors-dev-analytics-workgroup",
        "aws:glue/catalogTable:CatalogTable::sensors-dev-analytics-anomalies",
        "aws:glue/catalogTable:CatalogTable::sensors-dev-analytics-view-anomalies_last_24h",
        "aws:glue/catalogTable:CatalogTable::sensors-dev-analytics-view-device_completeness",
        "aws:glue/catalogTable:CatalogTable::sensors-dev-analytics-view-hourly_room_stats",
        "aws:glue/catalogTable:CatalogTable::sensors-dev-analytics-view-latest_reading_per_sensor",
        "sensor-analytics:analytics:AthenaAnalytics::sensors-dev-analytics",
      ].sort(),
    );
  });
});

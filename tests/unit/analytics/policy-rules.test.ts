// The analytics policy rules on hand-built resources: each passes a compliant resource and names what is wrong
// with a weakened one.
import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import {
  athenaResultsKms,
  athenaWorkgroupEnforced,
  quickSightDataSourceSsl,
} from "../../../policies/rules/analytics";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/k";
const workgroup = (configuration: Record<string, unknown> | undefined) =>
  fakeResource("aws:athena/workgroup:Workgroup", "wg", configuration ? { configuration } : {});
const good = {
  enforceWorkgroupConfiguration: true,
  bytesScannedCutoffPerQuery: 100 * 1024 * 1024,
  resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY } },
};

describe("policy pack: analytics rules", function () {
  it("athena-workgroup-enforced passes an enforced, KMS-encrypted, limited workgroup", async function () {
    expect(await violationsOf(athenaWorkgroupEnforced, [workgroup(good)])).to.deep.equal([]);
  });

  it("athena-workgroup-enforced names each weakness", async function () {
    expect(await violationsOf(athenaWorkgroupEnforced, [workgroup(undefined)])).to.deep.equal([
      "wg: configuration.enforceWorkgroupConfiguration is not true; clients could override its encryption and limits",
      'wg: query results are not encrypted (encryptionOption not set); set resultConfiguration.encryptionConfiguration { encryptionOption: "SSE_KMS", kmsKeyArn } (or "SSE_S3" without a key)',
      "wg: no per-query scan limit (bytesScannedCutoffPerQuery not set); set one of at least 10485760 bytes",
    ]);
    const sseS3 = {
      ...good,
      resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_S3" } },
    };
    expect(await violationsOf(athenaWorkgroupEnforced, [workgroup(sseS3)])).to.deep.equal([]);
    expect(await violationsOf(athenaResultsKms, [workgroup(sseS3)])).to.deep.equal([
      'wg: query results use SSE_S3; set encryptionOption "SSE_KMS" with the lake key',
    ]);
    expect(await violationsOf(athenaResultsKms, [workgroup(good)])).to.deep.equal([]);
    const noKey = {
      ...good,
      resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_KMS" } },
    };
    expect(await violationsOf(athenaWorkgroupEnforced, [workgroup(noKey)])).to.deep.equal([
      "wg: encryptionOption SSE_KMS without kmsKeyArn; name the key",
    ]);
    expect(
      await violationsOf(athenaWorkgroupEnforced, [workgroup({ ...good, bytesScannedCutoffPerQuery: 1024 })]),
    ).to.have.length(1);
  });

  it("quicksight-datasource-ssl passes disableSsl false and fails it unset or true", async function () {
    const source = (ssl?: Record<string, unknown>) =>
      fakeResource("aws:quicksight/dataSource:DataSource", "qs", {
        type: "ATHENA",
        ...(ssl ? { sslProperties: ssl } : {}),
      });
    expect(await violationsOf(quickSightDataSourceSsl, [source({ disableSsl: false })])).to.deep.equal([]);
    expect(
      await violationsOf(quickSightDataSourceSsl, [source({ disableSsl: true }), source()]),
    ).to.deep.equal([
      "qs: sslProperties.disableSsl is true; set sslProperties { disableSsl: false }",
      "qs: sslProperties.disableSsl is not set; set sslProperties { disableSsl: false }",
    ]);
  });
});

import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import {
  glueJdbcConnectionSecure,
  glueJobBounded,
  glueNoWildcardActions,
  glueSecurityConfiguration,
  glueSecurityConfigurationEncrypts,
  glueSecurityConfigurationKms,
} from "../../../policies/rules/glue";
import { sfnLoggingAll, sfnTaskTimeouts, sfnTracing } from "../../../policies/rules/stepfunctions";
import { databaseCredentialsManaged, secretsKms } from "../../../policies/rules/secrets";
import { rdsCustomerManagedKey } from "../../../policies/rules/network";
import { platformPolicies } from "../../../policies/rules";
import { buildEtlStateMachine } from "../../../components/etl/asl/etl-machine";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/k";

describe("policy pack: Glue rules", function () {
  it("are in the pack, mandatory (the customer-managed-key rules advisory)", function () {
    const names = platformPolicies.map((p) => p.name);
    for (const name of [
      "glue-security-configuration",
      "glue-security-configuration-encrypts",
      "glue-no-wildcard-actions",
      "glue-jdbc-connection-secure",
      "glue-job-bounded",
      "sfn-logging-all",
      "sfn-tracing",
      "sfn-task-timeouts",
      "database-credentials-managed",
    ]) {
      const policy = platformPolicies.find((p) => p.name === name);
      expect(policy, name).to.not.equal(undefined);
      expect(policy!.enforcementLevel, name).to.equal("mandatory");
    }
    for (const name of ["glue-security-configuration-kms", "secrets-kms", "rds-customer-managed-key"])
      expect(platformPolicies.find((p) => p.name === name)?.enforcementLevel, name).to.equal("advisory");
    expect(new Set(names).size).to.equal(names.length);
  });

  it("glue-security-configuration: passes crawlers and jobs with one, fails those without", async function () {
    const ok = [
      fakeResource("aws:glue/crawler:Crawler", "c", { securityConfiguration: "sec" }),
      fakeResource("aws:glue/job:Job", "j", { securityConfiguration: "sec", timeout: 30 }),
    ];
    expect(await violationsOf(glueSecurityConfiguration, ok)).to.deep.equal([]);
    const bad = [
      fakeResource("aws:glue/crawler:Crawler", "c", {}),
      fakeResource("aws:glue/job:Job", "j", { securityConfiguration: "" }),
    ];
    expect(await violationsOf(glueSecurityConfiguration, bad)).to.deep.equal([
      "c has no securityConfiguration; set it to the platform's Glue security configuration (SSE-KMS for S3, KMS for logs and bookmarks)",
      "j has no securityConfiguration; set it to the platform's Glue security configuration (SSE-KMS for S3, KMS for logs and bookmarks)",
    ]);
  });

  it("glue-security-configuration-encrypts refuses clear S3 output and a KMS mode without a key; -kms advises all three keys", async function () {
    const full = {
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: KEY },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: KEY },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: KEY },
    };
    const sc = (encryptionConfiguration: unknown) =>
      fakeResource("aws:glue/securityConfiguration:SecurityConfiguration", "sc", { encryptionConfiguration });
    expect(await violationsOf(glueSecurityConfigurationEncrypts, [sc(full)])).to.deep.equal([]);
    expect(
      await violationsOf(glueSecurityConfigurationEncrypts, [
        sc({
          ...full,
          s3Encryption: { s3EncryptionMode: "SSE-S3" },
          cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
          jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS" },
        }),
      ]),
    ).to.deep.equal([
      "sc: jobBookmarksEncryption.jobBookmarksEncryptionMode is CSE-KMS without a kmsKeyArn; name the key",
    ]);
    expect(
      await violationsOf(glueSecurityConfigurationEncrypts, [
        sc({ ...full, s3Encryption: { s3EncryptionMode: "DISABLED" } }),
      ]),
    ).to.deep.equal([
      "sc: s3Encryption.s3EncryptionMode is DISABLED; set it to SSE-KMS (or SSE-S3 without a key)",
    ]);
    const keyless = {
      s3Encryption: { s3EncryptionMode: "SSE-S3" },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "DISABLED" },
    };
    expect(await violationsOf(glueSecurityConfigurationEncrypts, [sc(keyless)])).to.deep.equal([]);
    expect(await violationsOf(glueSecurityConfigurationKms, [sc(full)])).to.deep.equal([]);
    expect(await violationsOf(glueSecurityConfigurationKms, [sc(keyless)])).to.deep.equal([
      "sc: s3Encryption.s3EncryptionMode is SSE-S3; set it to SSE-KMS",
      "sc: cloudwatchEncryption.cloudwatchEncryptionMode is DISABLED; set it to SSE-KMS",
      "sc: jobBookmarksEncryption.jobBookmarksEncryptionMode is DISABLED; set it to CSE-KMS",
    ]);
  });

  it("glue-no-wildcard-actions: refuses glue:* even in a justified Wildcard statement, allows named actions", async function () {
    const policy = (statements: Record<string, unknown>[]) =>
      fakeResource("aws:iam/rolePolicy:RolePolicy", "p", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
      });
    expect(
      await violationsOf(glueNoWildcardActions, [
        policy([
          {
            Effect: "Allow",
            Action: ["glue:StartJobRun", "glue:GetJobRun"],
            Resource: "arn:aws:glue:eu-west-1:1:job/x",
          },
        ]),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(glueNoWildcardActions, [
        policy([
          { Sid: "EverythingWildcard", Effect: "Allow", Action: "glue:*", Resource: "*" },
          { Effect: "Deny", Action: "glue:*", Resource: "*" },
        ]),
      ]),
    ).to.deep.equal(["p policy statement EverythingWildcard allows glue:*; list the Glue actions it needs"]);
  });

  it("glue-jdbc-connection-secure: needs TLS and a secret, refuses a stored password", async function () {
    const connection = (connectionProperties: Record<string, string>) =>
      fakeResource("aws:glue/connection:Connection", "conn", {
        connectionType: "JDBC",
        connectionProperties,
      });
    expect(
      await violationsOf(glueJdbcConnectionSecure, [
        connection({
          JDBC_CONNECTION_URL: "jdbc:postgresql://h:5432/d",
          SECRET_ID: "arn:s",
          JDBC_ENFORCE_SSL: "true",
        }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(glueJdbcConnectionSecure, [
        connection({ JDBC_CONNECTION_URL: "jdbc:postgresql://h:5432/d", USERNAME: "u", PASSWORD: "p" }),
      ]),
    ).to.deep.equal([
      'conn: JDBC_ENFORCE_SSL is null; set it to "true"',
      "conn stores a PASSWORD in the connection; put the credentials in Secrets Manager and set SECRET_ID",
      "conn has no SECRET_ID; name the Secrets Manager secret holding username and password",
    ]);
  });

  it("glue-job-bounded: needs a timeout below Glue's 48-hour default", async function () {
    const job = (timeout?: number) =>
      fakeResource("aws:glue/job:Job", "job", timeout === undefined ? {} : { timeout });
    expect(await violationsOf(glueJobBounded, [job(30)])).to.deep.equal([]);
    expect(await violationsOf(glueJobBounded, [job(), job(2880)])).to.deep.equal([
      "job: timeout is not set (48 hours); set it from glueJobTimeoutMinutes",
      "job: timeout is 2880 minutes; set it from glueJobTimeoutMinutes",
    ]);
  });
});

describe("policy pack: Step Functions rules", function () {
  const definition = JSON.stringify(
    buildEtlStateMachine(
      {
        plannerFunctionArn: "arn:aws:lambda:eu-west-1:1:function:p",
        s3ImportJobName: "a",
        jdbcImportJobName: "b",
        curateJobName: "c",
        s3HistoryCrawlerName: "d",
        jdbcHistoryCrawlerName: "e",
        curatedCrawlerName: "f",
        failureTopicArn: "arn:aws:sns:eu-west-1:1:t",
      },
      { label: "x", crawlerPollSeconds: 10, crawlerMaxPolls: 3, jobTimeoutMinutes: 10 },
    ),
  );
  const machine = (inputs: Record<string, unknown>) =>
    fakeResource("aws:sfn/stateMachine:StateMachine", "sm", { definition, ...inputs });

  it("sfn-logging-all and sfn-tracing: pass ALL with execution data and tracing, fail less", async function () {
    const good = machine({
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: true,
        logDestination: "arn:aws:logs:eu-west-1:1:log-group:g:*",
      },
      tracingConfiguration: { enabled: true },
    });
    expect(await violationsOf(sfnLoggingAll, [good])).to.deep.equal([]);
    expect(await violationsOf(sfnTracing, [good])).to.deep.equal([]);
    const bad = machine({ loggingConfiguration: { level: "ERROR" } });
    expect(await violationsOf(sfnLoggingAll, [bad])).to.deep.equal([
      "sm: loggingConfiguration.level is ERROR; set it to ALL",
      "sm: loggingConfiguration.includeExecutionData is not true; without it a failed execution's input and error are not in the log",
      'sm: loggingConfiguration.logDestination is not set; point it at an encrypted log group ("<arn>:*")',
    ]);
    expect(await violationsOf(sfnTracing, [bad])).to.deep.equal([
      "sm: tracingConfiguration.enabled is not true; turn X-Ray tracing on",
    ]);
  });

  it("sfn-task-timeouts: passes the ETL machine, names a Task without a timeout even inside a Parallel branch", async function () {
    expect(await violationsOf(sfnTaskTimeouts, [machine({})])).to.deep.equal([]);
    const untimed = JSON.stringify({
      StartAt: "P",
      States: {
        P: {
          Type: "Parallel",
          Branches: [
            {
              StartAt: "T",
              States: { T: { Type: "Task", Resource: "arn:aws:states:::glue:startJobRun.sync", End: true } },
            },
          ],
          Next: "U",
        },
        U: { Type: "Task", Resource: "arn:aws:states:::sns:publish", TimeoutSeconds: 10, End: true },
      },
    });
    expect(
      await violationsOf(sfnTaskTimeouts, [
        fakeResource("aws:sfn/stateMachine:StateMachine", "sm", { definition: untimed }),
      ]),
    ).to.deep.equal(["sm: Task states without TimeoutSeconds: P > T"]);
  });
});

describe("policy pack: secrets rules", function () {
  it("secrets-kms: needs a customer-managed key", async function () {
    expect(
      await violationsOf(secretsKms, [
        fakeResource("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: KEY }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(secretsKms, [
        fakeResource("aws:secretsmanager/secret:Secret", "a", {}),
        fakeResource("aws:secretsmanager/secret:Secret", "b", { kmsKeyId: "alias/aws/secretsmanager" }),
      ]),
    ).to.deep.equal([
      "a is encrypted with the default key; set kmsKeyId to the lake key",
      "b is encrypted with the default key; set kmsKeyId to the lake key",
    ]);
  });

  it("database-credentials-managed: needs RDS-managed passwords, never a password input; rds-customer-managed-key advises the key", async function () {
    const db = (name: string, inputs: Record<string, unknown>) =>
      fakeResource("aws:rds/instance:Instance", name, inputs);
    expect(
      await violationsOf(databaseCredentialsManaged, [
        db("ok", { manageMasterUserPassword: true, masterUserSecretKmsKeyId: KEY }),
        db("replica", { replicateSourceDb: "src" }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(databaseCredentialsManaged, [
        db("a", { password: "hunter2" }),
        db("b", {}),
        db("c", { manageMasterUserPassword: true }),
      ]),
    ).to.deep.equal([
      "a is given a master password; remove it and set manageMasterUserPassword to true",
      "b does not set manageMasterUserPassword; set it to true so RDS keeps and rotates the password in Secrets Manager",
    ]);
    expect(
      await violationsOf(rdsCustomerManagedKey, [
        db("ok", {
          manageMasterUserPassword: true,
          masterUserSecretKmsKeyId: KEY,
          storageEncrypted: true,
          kmsKeyId: KEY,
        }),
        db("c", { manageMasterUserPassword: true, storageEncrypted: true }),
      ]),
    ).to.deep.equal([
      "c encrypts storage with the AWS-managed key; set kmsKeyId to the lake key",
      "c's managed master secret uses the default key; set masterUserSecretKmsKeyId to the lake key",
    ]);
  });
});

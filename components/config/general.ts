/** Stack-wide settings: the stack name, region, app name, tags, data protection, alert e-mail, log retention. */
import type { ConfigReader } from "./reader";
import { LOG_RETENTION_DAYS, type PlatformConfig, type RawStackConfig } from "./types";

const APP = /^[a-z][a-z0-9]{0,15}$/;
const STACK = /^[a-z0-9][a-z0-9-]{0,19}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-\d$/;
const TAG = /^[\p{L}\p{N} _.:/=+\-@]{1,128}=[\p{L}\p{N} _.:/=+\-@]{0,256}$/u;

export type GeneralConfig = Pick<
  PlatformConfig,
  "region" | "app" | "tags" | "protectData" | "alertEmail" | "logRetentionDays"
>;

/** Reads the stack-wide settings; problems go to `r`. */
export function readGeneralConfig(r: ConfigReader, raw: RawStackConfig): GeneralConfig {
  const stackFile = raw.stackFile;
  if (!STACK.test(raw.stack)) {
    r.problems.push({
      key: "(stack name)",
      value: raw.stack,
      message:
        "must be 1-20 lowercase letters, digits or '-', starting with a letter or digit (it names things and topics)",
      fix: `create the stack with such a name (pulumi stack init dev) and rename ${stackFile} to match`,
    });
  }
  const region = (() => {
    const value = raw.values["aws:region"];
    if (value === undefined || !REGION.test(value)) {
      r.problems.push({
        key: "aws:region",
        value,
        message: "must name an AWS region",
        fix: "set it, e.g. `pulumi config set aws:region eu-west-1`",
      });
      return "us-east-1";
    }
    return value;
  })();

  const app = r.string("app", {
    pattern: APP,
    describe: "1-16 lowercase letters and digits, starting with a letter",
    example: "sensors",
  });
  const tagList = r.stringArray("tags", {
    pattern: TAG,
    describe: '"key=value" strings',
    example: "owner=platform-team",
  });
  const tags = Object.fromEntries(
    tagList.filter((t) => TAG.test(t)).map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]),
  );
  const protectData = r.boolean("protectData");
  const alertEmail = r.string("alertEmail");
  if (alertEmail !== "" && !EMAIL.test(alertEmail)) {
    r.problem(
      "alertEmail",
      "must be an e-mail address or empty",
      'set it to an address like oncall@example.com, or to "" for no alerts',
    );
  }
  const logRetentionDays = r.integer("logRetentionDays", 1, 3653, 30);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    r.problem(
      "logRetentionDays",
      `must be a retention CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(", ")})`,
      "pick the nearest of those values",
    );
  }
  return {
    region,
    app,
    tags,
    protectData,
    alertEmail: alertEmail === "" ? undefined : alertEmail,
    logRetentionDays,
  };
}

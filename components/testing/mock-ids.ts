/**
 * The IDs, names, ARNs and PEM text the mocks answer with: derived deterministically from a seed (the resource's
 * type and name), so they are stable from run to run.
 */
import { createHash } from "crypto";

/** Deterministic hex derived from a seed, so mock IDs are stable from run to run. */
export function hex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  return out.slice(0, length);
}

export function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Pulumi auto-naming: the logical name plus a random 7-character suffix. */
export function autoName(name: string, seed: string, lower = false): string {
  const base = `${name}-${hex(seed, 7)}`;
  return lower ? base.toLowerCase() : base;
}

/** ARN service names that differ from the Pulumi module name. */
export const SERVICE_ARN_NAMES: Record<string, string> = {
  cloudwatch: "logs",
  sfn: "states",
  kinesis: "firehose",
  applicationloadbalancing: "elasticloadbalancing",
  appautoscaling: "application-autoscaling",
};

/** A parameter's ARN: a hierarchical name's leading "/" is not doubled after `parameter`. */
export function ssmParameterArn(
  partition: string,
  region: string,
  account: string,
  parameter: string,
): string {
  return `arn:${partition}:ssm:${region}:${account}:parameter/${parameter.replace(/^\//, "")}`;
}

export function ec2Id(
  prefix: string,
  seed: string,
  p: string,
  region: string,
  acct: string,
  arnType: string,
  extra: Record<string, unknown> = {},
) {
  const id = `${prefix}-${hex(seed, 17)}`;
  return { id, state: { arn: `arn:${p}:ec2:${region}:${acct}:${arnType}/${id}`, ...extra } };
}

export function fakePem(label: string, seed: string): string {
  const body = Buffer.from(`mock ${label} ${hex(seed, 48)}`).toString("base64");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

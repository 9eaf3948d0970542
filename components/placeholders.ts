/**
 * Example values that must never reach a deployment: the AWS documentation's example account IDs, the
 * example resource IDs and host shipped in Pulumi.prod.yaml (to show each value's shape), and the domains
 * reserved for documentation (RFC 2606), which no database resolves to and no e-mail reaches. `pulumi up` into
 * an AWS account refuses a stack that still holds one (see `runtime-config.ts`); an offline run (the synth,
 * whose engine answers with the documentation's account) lists them as warnings. Pure.
 */
import { PROJECT, RawStackConfig } from "./config";

/** Account IDs the AWS documentation uses in examples. */
export const EXAMPLE_ACCOUNT_IDS: readonly string[] = ["111122223333", "123456789012", "444455556666"];

/** Accounts a stack can "deploy" into that are no real AWS account: the examples, and LocalStack's. */
const NON_DEPLOYMENT_ACCOUNTS: readonly string[] = [...EXAMPLE_ACCOUNT_IDS, "000000000000"];

/** Whether deploying into this account is no real deployment (an offline engine, an emulator). */
export function isNonDeploymentAccount(accountId: string): boolean {
  return NON_DEPLOYMENT_ACCOUNTS.includes(accountId);
}

/** Resource IDs Pulumi.prod.yaml ships as examples of an existing database's network. */
export const EXAMPLE_RESOURCE_IDS: readonly string[] = [
  "vpc-0a1b2c3d4e5f60718",
  "rtb-0123456789abcdef0",
  "rtb-0fedcba9876543210",
  "sg-0123456789abcdef0",
];

/** Hosts and domains that stand for "yours": the shipped example database host, and reserved names. */
export const EXAMPLE_HOSTS: readonly string[] = ["historian.corp.internal"];
const RESERVED_DOMAINS = ["example.com", "example.net", "example.org"];
const RESERVED_TLDS = ["example", "invalid", "test", "localhost"];

/** One example value in a stack's configuration. */
export interface Placeholder {
  /** Full key, e.g. `sensor-analytics:databaseVpcId`. */
  readonly key: string;
  /** The example value found (one item of a list). */
  readonly value: string;
  /** What makes it an example. */
  readonly reason: string;
}

/** Why a text is an example value, or `undefined` when it is not one. */
export function exampleValueReason(text: string): string | undefined {
  const account = EXAMPLE_ACCOUNT_IDS.find((id) => new RegExp(`(^|[^0-9])${id}([^0-9]|$)`).test(text));
  if (account) return `account ${account} is the AWS documentation's example account`;
  if (EXAMPLE_RESOURCE_IDS.includes(text)) return "an example ID shipped in Pulumi.prod.yaml";
  const host = (text.includes("@") ? text.slice(text.lastIndexOf("@") + 1) : text).toLowerCase();
  if (EXAMPLE_HOSTS.includes(host)) return "the example database host shipped in Pulumi.prod.yaml";
  const reserved =
    RESERVED_DOMAINS.find((d) => host === d || host.endsWith(`.${d}`)) ??
    RESERVED_TLDS.find((tld) => host.endsWith(`.${tld}`));
  if (reserved && /^[a-z0-9.-]+$/.test(host)) {
    return `${reserved} is reserved for documentation (RFC 2606): nothing there ${text.includes("@") ? "receives e-mail" : "resolves"}`;
  }
  return undefined;
}

/** Every example value among the project's settings (lists item by item), in key order. */
export function findPlaceholders(raw: RawStackConfig, namespace: string = PROJECT): Placeholder[] {
  const found: Placeholder[] = [];
  for (const key of Object.keys(raw.values).sort()) {
    if (!key.startsWith(`${namespace}:`) || raw.secretKeys.has(key)) continue;
    const text = raw.values[key]!;
    let items: unknown[] = [text];
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) items = parsed;
    } catch {
      // Plain text.
    }
    for (const item of items) {
      if (typeof item !== "string") continue;
      const reason = exampleValueReason(item);
      if (reason) found.push({ key, value: item, reason });
    }
  }
  return found;
}

/** The refusal `pulumi up` prints: which keys to set, in which file. */
export function placeholderMessage(
  stackFile: string,
  placeholders: readonly Placeholder[],
  accountId: string,
): string {
  const keys = [...new Set(placeholders.map((p) => p.key))];
  return (
    `${stackFile} still holds example values; set ${keys.length === 1 ? "this key" : `these ${keys.length} keys`} to your own before deploying ` +
    `into account ${accountId} (pulumi config set <key> <value>):\n` +
    placeholders.map((p) => `  - ${p.key}: ${JSON.stringify(p.value)} (${p.reason})`).join("\n")
  );
}

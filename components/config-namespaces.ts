/**
 * Keys outside the project's namespace. Pulumi hands a program every key of the stack file, but a key in a
 * namespace nobody reads does nothing: `sensor-analytic:rooms` leaves the stack on its default rooms, and
 * `aws:regoin` leaves the provider on its default region, without a word. So:
 *
 * - a namespace that is a misspelling of the project's is an error (the setting would be lost), with the key
 *   it was meant to be;
 * - an unknown `aws:` key, or a namespace that is a misspelling of a provider's, is a warning with a
 *   suggestion (the provider may grow settings this list does not know yet);
 * - any other namespace is a warning: nothing here reads it.
 *
 * Keys in the project's namespace are checked against Pulumi.yaml by `config/`. Pure.
 */
import { closestKey, PROJECT, type ConfigProblem, type RawStackConfig } from "./config";

/** Settings of the AWS provider (`@pulumi/aws/config/vars`; a unit test keeps this list in step with it). */
export const AWS_PROVIDER_KEYS: readonly string[] = [
  "accessKey",
  "allowedAccountIds",
  "assumeRoleWithWebIdentity",
  "assumeRoles",
  "customCaBundle",
  "defaultTags",
  "ec2MetadataServiceEndpoint",
  "ec2MetadataServiceEndpointMode",
  "endpoints",
  "forbiddenAccountIds",
  "httpProxy",
  "httpsProxy",
  "ignoreTags",
  "insecure",
  "maxRetries",
  "noProxy",
  "profile",
  "region",
  "retryMode",
  "s3UsEast1RegionalEndpoint",
  "s3UsePathStyle",
  "secretKey",
  "sharedConfigFiles",
  "sharedCredentialsFiles",
  "skipCredentialsValidation",
  "skipMetadataApiCheck",
  "skipRegionValidation",
  "skipRequestingAccountId",
  "stsRegion",
  "tagPolicyCompliance",
  "token",
  "tokenBucketRateLimiterCapacity",
  "useDualstackEndpoint",
  "useFipsEndpoint",
  "userAgents",
];

/** Namespaces read by something: the program's providers and the Pulumi engine itself (`pulumi:tags`, ...). */
export const FOREIGN_NAMESPACES: readonly string[] = ["aws", "awsx", "pulumi"];

export interface NamespaceFindings {
  /** Keys in a misspelling of the project's namespace. */
  readonly problems: readonly ConfigProblem[];
  /** One line per key nothing reads, with a suggestion where there is one. */
  readonly warnings: readonly string[];
}

/**
 * Checks every `namespace:key` of a stack's configuration outside the project's namespace.
 * @param project - the namespace the program reads its settings from. @default "sensor-analytics"
 */
export function checkNamespaces(
  raw: Pick<RawStackConfig, "values" | "secretKeys" | "stackFile">,
  project: string = PROJECT,
): NamespaceFindings {
  const { stackFile } = raw;
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(raw.values)) {
    const colon = key.indexOf(":");
    if (colon < 0) continue;
    const namespace = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (namespace === project || namespace === "pulumi") continue;
    if (namespace === "aws") {
      if (AWS_PROVIDER_KEYS.includes(name)) continue;
      const close = closestKey(name, [...AWS_PROVIDER_KEYS]);
      warnings.push(
        `${key} in ${stackFile} is not a setting of the aws provider, so it has no effect` +
          (close ? `; did you mean aws:${close}?` : ""),
      );
      continue;
    }
    if (closestKey(namespace, [project]) === project) {
      problems.push({
        key,
        value: raw.secretKeys.has(key) ? "[secret]" : raw.values[key],
        message: `is in namespace "${namespace}", which nothing reads: the setting would be ignored`,
        fix: `did you mean ${project}:${name}? Rename the key`,
      });
      continue;
    }
    if (FOREIGN_NAMESPACES.includes(namespace)) {
      warnings.push(
        `${key} in ${stackFile}: the ${namespace} provider reads no configuration, so it has no effect`,
      );
      continue;
    }
    const provider = closestKey(namespace, [...FOREIGN_NAMESPACES]);
    warnings.push(
      `${key} in ${stackFile} is in namespace "${namespace}", which neither this program nor its providers read` +
        (provider
          ? `; did you mean ${provider}:${name}?`
          : `; settings of this project are ${project}:<name>`),
    );
  }
  return { problems, warnings };
}

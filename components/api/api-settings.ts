/**
 * The HTTP API option (stack config `httpApi`): HTTPS ingestion (`POST /readings`) and, with the ingest
 * stream on, the latest-state routes. Pure: the config module validates with {@link readHttpApiSettings}; the
 * component and the local backend read the result.
 */
import { isSettingsMap, SettingsReader, type ReportProblem } from "../shared/settings-reader";

export type ApiAuthorization = "iam" | "jwt";

/** Validated `httpApi` settings of a stack that turns the API on. */
export interface HttpApiSettings {
  /** `iam`: callers sign with SigV4 and need execute-api:Invoke; `jwt`: callers send an issuer's bearer token. */
  readonly authorization: ApiAuthorization;
  /** JWT only: the issuer (`iss`), an https URL with OpenID discovery, e.g. a Cognito user pool. */
  readonly jwtIssuer?: string;
  /** JWT only: accepted audiences (`aud`, or Cognito access tokens' `client_id`). */
  readonly jwtAudience: readonly string[];
  /** JWT only: scopes `POST /readings` requires (any one of them). Empty: any valid token. */
  readonly ingestScopes: readonly string[];
  /** JWT only: scopes the latest-state routes require (any one). Empty: any valid token. */
  readonly readScopes: readonly string[];
  /** Steady requests per second per route (the stage's default route throttling). */
  readonly rateLimit: number;
  /** Burst of requests per route above the steady rate. */
  readonly burstLimit: number;
  /** Readings per `POST /readings` (1-500: one Kinesis PutRecords or Firehose PutRecordBatch call). */
  readonly maxBatchSize: number;
}

export const HTTP_API_DEFAULTS = {
  authorization: "iam",
  rateLimit: 50,
  burstLimit: 100,
  maxBatchSize: 500,
} as const;

const FIELDS = [...Object.keys(HTTP_API_DEFAULTS), "jwtIssuer", "jwtAudience", "ingestScopes", "readScopes"];
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** Reads `httpApi`. Returns `undefined` when the API is off (`{}`) or when there were problems (each reported). */
export function readHttpApiSettings(raw: unknown, report: ReportProblem): HttpApiSettings | undefined {
  if (!isSettingsMap(raw)) {
    report(
      "",
      "must be a map of settings",
      "write it as a YAML map, e.g. httpApi: { authorization: iam }",
      raw,
    );
    return undefined;
  }
  if (Object.keys(raw).length === 0) return undefined;
  const r = new SettingsReader(raw, FIELDS, report);
  const authorization = r.oneOf("authorization", HTTP_API_DEFAULTS.authorization, ["iam", "jwt"] as const);
  const jwtIssuer = r.string("jwtIssuer", {
    pattern: /^https:\/\/[^\s/$.?#][^\s]*$/,
    describe: "the token issuer's https URL",
    example: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
    required: authorization === "jwt",
  });
  const list = (field: string, describe: string, example: string) =>
    r.stringList(field, { pattern: SCOPE, describe, example });
  const jwtAudience = list("jwtAudience", "audiences (client IDs)", "sensor-gateways");
  const ingestScopes = list("ingestScopes", "OAuth scopes", "telemetry/write");
  const readScopes = list("readScopes", "OAuth scopes", "telemetry/read");
  if (authorization === "jwt" && jwtAudience.length === 0 && r.problems === 0)
    r.problem(
      "jwtAudience",
      "must list at least one audience with jwt authorization",
      "add the app client ID, e.g. jwtAudience: [sensor-gateways]",
      [],
    );
  if (authorization === "iam") {
    for (const field of ["jwtIssuer", "jwtAudience", "ingestScopes", "readScopes"].filter((f) => r.has(f)))
      r.problem(
        field,
        "applies only with authorization: jwt",
        "remove it, or set authorization: jwt",
        raw[field],
      );
  }
  const rateLimit = r.int("rateLimit", HTTP_API_DEFAULTS.rateLimit, 1, 10_000);
  const burstLimit = r.int("burstLimit", HTTP_API_DEFAULTS.burstLimit, 1, 5_000);
  if (burstLimit < rateLimit && r.problems === 0)
    r.problem(
      "burstLimit",
      `must be at least rateLimit (${rateLimit})`,
      `set it to ${rateLimit} or more`,
      burstLimit,
    );
  const settings: HttpApiSettings = {
    authorization,
    ...(jwtIssuer === undefined ? {} : { jwtIssuer }),
    jwtAudience,
    ingestScopes,
    readScopes,
    rateLimit,
    burstLimit,
    maxBatchSize: r.int("maxBatchSize", HTTP_API_DEFAULTS.maxBatchSize, 1, 500),
  };
  return r.problems === 0 ? settings : undefined;
}

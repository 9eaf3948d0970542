import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { policyDocument } from "../shared/iam-policy";
import { LambdaFunction } from "../shared/lambda-function";
import { platformLogGroup } from "../shared/log-group";
import {
  deliveryArnsOutput,
  deliveryTargetsOutput,
  type DeliveryResources,
} from "../streaming/delivery-resources";
import { ingestFunctionPolicy, latestStateFunctionPolicy } from "../streaming/iam-documents";
import { REALTIME_ENV } from "../streaming/realtime-layout";
import type { HttpApiSettings } from "./api-settings";
import { ACCESS_LOG_FORMAT, apiRoutes, ingestEnvironment, type ApiRoute } from "./routes";

export interface TelemetryApiArgs {
  /** `<app>-<stack>`: names the API and the log groups. */
  readonly deployment: string;
  /** Authorization, throttling, batch size (`PlatformConfig.httpApi`). */
  readonly settings: HttpApiSettings;
  /** Rooms a posted reading may name. @default - any room */
  readonly rooms?: readonly string[];
  /** Where `POST /readings` sends valid and rejected readings. */
  readonly delivery: DeliveryResources;
  /**
   * The real-time table (`RealtimeAggregates`): adds `GET /devices/{id}/latest` and `GET /rooms/{room}/summary`.
   * @default - ingestion only
   */
  readonly realtimeTable?: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
  /** Key of the log groups (and of the table, to read it). */
  /** @default - AWS-managed encryption (CloudWatch Logs, DynamoDB): no `kms:*` statement */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The telemetry HTTP API (API Gateway v2): `POST /readings` for gateways and devices that cannot speak MQTT and,
 * with the real-time table, the latest-state routes. Every route is authorized (SigV4 with IAM, or a JWT
 * authorizer with per-route scopes), the stage throttles each route and writes JSON access logs into a
 * KMS-encrypted log group with retention; each route's function may be invoked by this API's route only.
 */
export class TelemetryApi extends pulumi.ComponentResource {
  public readonly api: aws.apigatewayv2.Api;
  public readonly stage: aws.apigatewayv2.Stage;
  public readonly accessLogGroup: aws.cloudwatch.LogGroup;
  public readonly ingestFunction: aws.lambda.Function;
  public readonly latestStateFunction?: aws.lambda.Function;
  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com`). */
  public readonly url: pulumi.Output<string>;
  /** IAM authorization: attach these to the roles of callers that post readings / read the latest state. */
  public readonly clientPolicies?: { readonly ingest: aws.iam.Policy; readonly read?: aws.iam.Policy };

  constructor(name: string, args: TelemetryApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:api:TelemetryApi", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment, settings } = args;
    const scope = accountScopeOutput(this);
    const logRetentionDays = args.logRetentionDays ?? 30;
    const routes = apiRoutes(args.realtimeTable !== undefined);

    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        name: `${deployment}-telemetry`,
        protocolType: "HTTP",
        description: `Telemetry of ${deployment}: ${routes.map((r) => r.routeKey).join(", ")}`,
        tags,
      },
      child,
    );
    this.accessLogGroup = platformLogGroup(
      `${name}-access-logs`,
      {
        name: `/sensor-analytics/${deployment}/api-access`,
        retentionDays: logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      child,
    );
    registerDocument(this, "api-access-log-format", "json", ACCESS_LOG_FORMAT);
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        accessLogSettings: {
          destinationArn: this.accessLogGroup.arn,
          format: JSON.stringify(ACCESS_LOG_FORMAT),
        },
        defaultRouteSettings: {
          throttlingRateLimit: settings.rateLimit,
          throttlingBurstLimit: settings.burstLimit,
          detailedMetricsEnabled: true,
        },
        tags,
      },
      child,
    );
    const authorizer =
      settings.authorization === "jwt"
        ? new aws.apigatewayv2.Authorizer(
            `${name}-jwt`,
            {
              apiId: this.api.id,
              name: `${deployment}-jwt`,
              authorizerType: "JWT",
              identitySources: ["$request.header.Authorization"],
              jwtConfiguration: { issuer: settings.jwtIssuer!, audiences: [...settings.jwtAudience] },
            },
            child,
          )
        : undefined;

    const targets = deliveryTargetsOutput(args.delivery);
    const deliveryArns = deliveryArnsOutput(args.delivery);
    // Invoked by API Gateway only (synchronously): no dead-letter queue, tagged so.
    const functionCommon = { logRetentionDays, kmsKeyArn: args.kmsKeyArn, formerly: { parent: this }, tags };
    this.ingestFunction = new LambdaFunction(
      `${name}-ingest`,
      {
        ...functionCommon,
        entry: "https-ingest",
        description: `POST /readings of ${deployment}: validates readings like the topic rule, sends them on, answers per reading`,
        documentName: "api-ingest-function",
        logGroupName: `/sensor-analytics/${deployment}/https-ingest`,
        policy: ({ logGroupArn, scope: s }) =>
          deliveryArns.apply((d) => ingestFunctionPolicy({ scope: s, logGroupArn, delivery: d })),
        environment: targets.apply((tg) =>
          ingestEnvironment({ rooms: args.rooms ?? [], maxBatchSize: settings.maxBatchSize, targets: tg }),
        ),
        timeoutSeconds: 29,
        memorySize: 512,
      },
      child,
    ).function;
    const table = args.realtimeTable;
    if (table) {
      this.latestStateFunction = new LambdaFunction(
        `${name}-latest-state`,
        {
          ...functionCommon,
          entry: "latest-state",
          description: `Latest reading per device and hourly room summaries of ${deployment}, from the real-time table`,
          documentName: "api-latest-state-function",
          logGroupName: `/sensor-analytics/${deployment}/latest-state`,
          policy: ({ logGroupArn, scope: s }) =>
            pulumi
              .all([table.arn, pulumi.output(args.kmsKeyArn)])
              .apply(([tableArn, kmsKeyArn]) =>
                latestStateFunctionPolicy({ scope: s, logGroupArn, tableArn, kmsKeyArn }),
              ),
          environment: { [REALTIME_ENV.tableName]: table.name },
          timeoutSeconds: 10,
          memorySize: 256,
        },
        child,
      ).function;
    }

    const integrations = new Map<ApiRoute["handler"], aws.apigatewayv2.Integration>();
    const functionOf = (route: ApiRoute) =>
      route.handler === "ingest" ? this.ingestFunction : this.latestStateFunction!;
    for (const route of routes) {
      const slug = route.routeKey
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
      const fn = functionOf(route);
      let integration = integrations.get(route.handler);
      if (!integration) {
        integration = new aws.apigatewayv2.Integration(
          `${name}-${route.handler}-integration`,
          {
            apiId: this.api.id,
            integrationType: "AWS_PROXY",
            integrationUri: fn.arn,
            payloadFormatVersion: "2.0",
            timeoutMilliseconds: 30_000,
          },
          child,
        );
        integrations.set(route.handler, integration);
      }
      const scopes = route.access === "ingest" ? settings.ingestScopes : settings.readScopes;
      new aws.apigatewayv2.Route(
        `${name}-${slug}`,
        {
          apiId: this.api.id,
          routeKey: route.routeKey,
          target: pulumi.interpolate`integrations/${integration.id}`,
          authorizationType: authorizer ? "JWT" : "AWS_IAM",
          ...(authorizer ? { authorizerId: authorizer.id } : {}),
          ...(authorizer && scopes.length > 0 ? { authorizationScopes: [...scopes] } : {}),
        },
        child,
      );
      // Only this API's stage and route may invoke the function.
      const [method, path] = route.routeKey.split(" ") as [string, string];
      new aws.lambda.Permission(
        `${name}-${slug}-invoke`,
        {
          function: fn.name,
          action: "lambda:InvokeFunction",
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${method}${path.replace(/\{[a-z]+\}/g, "*")}`,
        },
        child,
      );
    }

    if (settings.authorization === "iam") {
      const clientPolicy = (access: ApiRoute["access"]) => {
        const document = pulumi.all([scope, this.api.id]).apply(([s, apiId]) =>
          policyDocument([
            {
              Sid: access === "ingest" ? "PostReadings" : "ReadLatestState",
              Effect: "Allow",
              Action: "execute-api:Invoke",
              Resource: routes
                .filter((r) => r.access === access)
                .map((r) => {
                  const [method, path] = r.routeKey.split(" ") as [string, string];
                  return `arn:${s.partition}:execute-api:${s.region}:${s.accountId}:${apiId}/$default/${method}${path.replace(/\{[a-z]+\}/g, "*")}`;
                }),
            },
          ]),
        );
        registerDocument(this, `iam-api-${access}-client`, "json", document);
        return new aws.iam.Policy(
          `${name}-${access}-client`,
          {
            description: `Lets a caller ${access === "ingest" ? "post readings to" : "read the latest state from"} the ${deployment} telemetry API`,
            policy: pulumi.jsonStringify(document),
            tags,
          },
          child,
        );
      };
      this.clientPolicies = {
        ingest: clientPolicy("ingest"),
        ...(table ? { read: clientPolicy("read") } : {}),
      };
    }
    this.url = this.api.apiEndpoint;
    this.registerOutputs({
      url: this.url,
      apiId: this.api.id,
      accessLogGroupName: this.accessLogGroup.name,
      ingestClientPolicyArn: this.clientPolicies?.ingest.arn,
      readClientPolicyArn: this.clientPolicies?.read?.arn,
    });
  }
}

/**
 * Fleet-provisioning pre-provisioning hook. IoT Core calls it on every RegisterThing of the template and
 * provisions the device only when it answers `allowProvisioning: true` (within 5 seconds).
 *
 * It allows a request when the parameters name a serial number of the expected format and a configured room
 * (`checkProvisioningRequest`, shared with the template's naming), and the thing it would create has no
 * certificate attached yet, so a leaked claim certificate cannot take over a registered sensor's identity.
 * Any registry error denies (fail closed). The IoT client is injected, so tests run it against
 * aws-sdk-client-mock.
 *
 * Environment: `DEPLOYMENT` (`<app>-<stack>`), `ROOMS` (JSON array of room IDs).
 */
import { IoTClient, ListThingPrincipalsCommand, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { checkProvisioningRequest, ProvisioningRules } from "../../components/iot/provisioning";

/** The event IoT Core sends (payload version 2020-04-01). */
export interface PreProvisioningEvent {
  readonly claimCertificateId: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly templateArn: string;
  readonly clientId: string;
  readonly parameters?: Record<string, string>;
}

export interface PreProvisioningResponse {
  readonly allowProvisioning: boolean;
  readonly parameterOverrides?: Record<string, string>;
}

export interface HookDependencies {
  readonly iot: Pick<IoTClient, "send">;
  readonly rules: ProvisioningRules;
  /** Structured log sink. @default - one JSON line per decision on stdout (CloudWatch Logs) */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** Reads the hook's rules from its environment; throws naming the variable that is missing or malformed. */
export function rulesFromEnvironment(env: NodeJS.ProcessEnv = process.env): ProvisioningRules {
  const deployment = env.DEPLOYMENT;
  if (!deployment)
    throw new Error("environment variable DEPLOYMENT is not set (expected <app>-<stack>, e.g. sensors-dev)");
  let rooms: unknown;
  try {
    rooms = JSON.parse(env.ROOMS ?? "");
  } catch {
    rooms = undefined;
  }
  if (!Array.isArray(rooms) || rooms.length === 0 || !rooms.every((r) => typeof r === "string")) {
    throw new Error(
      `environment variable ROOMS must be a JSON array of room IDs, e.g. ["lab","office"] (got ${JSON.stringify(env.ROOMS)})`,
    );
  }
  return { deployment, rooms: rooms as string[] };
}

/** The hook with its dependencies bound. */
export function createPreProvisioningHook(
  deps: HookDependencies,
): (event: PreProvisioningEvent) => Promise<PreProvisioningResponse> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  return async (event) => {
    const base = {
      clientId: event.clientId,
      claimCertificateId: event.claimCertificateId,
      certificateId: event.certificateId,
    };
    const decision = checkProvisioningRequest(event.parameters, deps.rules);
    if (!decision.allowed) {
      log({ ...base, allowProvisioning: false, reason: decision.reason });
      return { allowProvisioning: false };
    }
    const thingName = decision.thingName;
    try {
      const attached = await deps.iot.send(new ListThingPrincipalsCommand({ thingName, maxResults: 1 }));
      if ((attached.principals ?? []).length > 0) {
        log({
          ...base,
          thingName,
          allowProvisioning: false,
          reason: "thing already has a certificate; detach it before re-provisioning",
        });
        return { allowProvisioning: false };
      }
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) {
        log({
          ...base,
          thingName,
          allowProvisioning: false,
          reason: `registry lookup failed: ${(err as Error).message}`,
        });
        return { allowProvisioning: false };
      }
      // A new thing: nothing to take over.
    }
    log({ ...base, thingName, allowProvisioning: true });
    return { allowProvisioning: true };
  };
}

let hook: ((event: PreProvisioningEvent) => Promise<PreProvisioningResponse>) | undefined;

/** Lambda entry point (`index.handler` in the bundle). */
export async function handler(event: PreProvisioningEvent): Promise<PreProvisioningResponse> {
  hook ??= createPreProvisioningHook({ iot: new IoTClient({}), rules: rulesFromEnvironment() });
  return hook(event);
}

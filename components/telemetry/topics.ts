/**
 * MQTT topic layout, following AWS's "Designing MQTT topics for AWS IoT Core" guidance: a `dt/` (data
 * telemetry) prefix for device-to-cloud data and `cmd/` for cloud-to-device commands, then the application,
 * then the most general to the most specific context (room, then thing), then the message type.
 *
 *   dt/<app>/<room>/<thing>/telemetry      readings (the topic rule's source)
 *   dt/<app>/<room>/<thing>/diagnostics    occasional device health reports (not ingested into the lake)
 *   cmd/<app>/<room>/<thing>/req           commands to the device (e.g. set reporting interval)
 *   cmd/<app>/<room>/<thing>/res           the device's response to a command
 *
 * Pure module: the IoT policy, the topic rule, the simulator and the local broker all build topics here.
 */

/** Topic segment positions (1-based, as IoT SQL's `topic(n)` counts them). */
export const TOPIC_SEGMENT = { prefix: 1, app: 2, room: 3, thing: 4, kind: 5 } as const;

export type DataKind = "telemetry" | "diagnostics";
export type CommandKind = "req" | "res";

/** IoT Core topic names are at most 256 bytes and segment values must not contain MQTT wildcards or `/`. */
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether a value can be a topic segment (a room or thing name): 1-64 letters, digits, "_" or "-". */
export function isTopicSegment(value: string): boolean {
  return SEGMENT.test(value);
}

export function assertTopicSegment(kind: string, value: string): void {
  if (!SEGMENT.test(value)) {
    throw new Error(
      `${kind} "${value}" cannot be used in an MQTT topic: use 1-64 letters, digits, "_" or "-" (no "/", "+", "#")`,
    );
  }
}

/** `dt/<app>/<room>/<thing>/<kind>`: the topic a device publishes readings or diagnostics to. */
export function dataTopic(
  app: string,
  roomId: string,
  thingName: string,
  kind: DataKind = "telemetry",
): string {
  assertTopicSegment("app", app);
  assertTopicSegment("room", roomId);
  assertTopicSegment("thing", thingName);
  return `dt/${app}/${roomId}/${thingName}/${kind}`;
}

/** `cmd/<app>/<room>/<thing>/<req|res>`. */
export function commandTopic(app: string, roomId: string, thingName: string, kind: CommandKind): string {
  assertTopicSegment("app", app);
  assertTopicSegment("room", roomId);
  assertTopicSegment("thing", thingName);
  return `cmd/${app}/${roomId}/${thingName}/${kind}`;
}

/** Topic filter matching every device's telemetry for an app: the topic rule's FROM clause. */
export function telemetryTopicFilter(app: string): string {
  assertTopicSegment("app", app);
  return `dt/${app}/+/+/telemetry`;
}

/** Parses a data topic back into its parts; `undefined` when the topic is not one of ours. */
export function parseDataTopic(
  topic: string,
): { app: string; roomId: string; thingName: string; kind: DataKind } | undefined {
  const parts = topic.split("/");
  if (parts.length !== 5 || parts[0] !== "dt") return undefined;
  const [, app, roomId, thingName, kind] = parts as [string, string, string, string, string];
  if (kind !== "telemetry" && kind !== "diagnostics") return undefined;
  if (![app, roomId, thingName].every((s) => SEGMENT.test(s))) return undefined;
  return { app, roomId, thingName, kind };
}

/** Operations: alarm thresholds and the audit trail. */
import { ALARM_DEFAULTS, readAlarmSettings } from "../operations/alarm-settings";
import type { ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

export type OperationsConfig = Pick<PlatformConfig, "alarms" | "audit">;

/** Reads the alarm thresholds (defaults when unset) and the audit trail; problems go to `r`. */
export function readOperationsConfig(r: ConfigReader): OperationsConfig {
  const alarmsValue = r.object("alarms");
  const alarms =
    alarmsValue === undefined
      ? undefined
      : readAlarmSettings(alarmsValue, (field, message, fix, value) =>
          r.problem(field === "" ? "alarms" : `alarms.${field}`, message, fix, value),
        );
  const auditTrail = r.boolean("auditTrail");
  const auditRetentionDays = r.integer("auditRetentionDays", 1, 36500, 365);
  return {
    alarms: alarms ?? { ...ALARM_DEFAULTS },
    audit: { enabled: auditTrail, retentionDays: auditRetentionDays },
  };
}

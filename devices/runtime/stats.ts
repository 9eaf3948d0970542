/** Fleet-wide counters, updated by every device; read by the progress line, the summary and the benchmark. */
import { ANOMALY_KINDS, type AnomalyKind } from "../model/anomalies";
import { LatencyHistogram } from "./histogram";

export class FleetStats {
  /** Devices in this process (this shard). */
  devices = 0;
  /** Devices connected right now. */
  connected = 0;
  /** Devices that connected at least once. */
  everConnected = 0;
  /** Connection attempts that failed before CONNACK. */
  connectFailures = 0;
  /** Established connections that were lost. */
  disconnects = 0;
  /** Connections made after a device's first one. */
  reconnects = 0;
  /** Distinct readings sent at least once. */
  published = 0;
  /** Readings acknowledged by the broker (QoS 1 PUBACK; QoS 0: written to the socket). */
  acknowledged = 0;
  /**
   * Sends of a reading after its first, after a lost connection (re-queued here, or in flight and re-sent by the
   * client library on reconnect); the receiver may see these as duplicates.
   */
  resent = 0;
  /** Readings dropped because a device's offline queue was full (oldest first). */
  dropped = 0;
  /** Readings the broker refused (PUBACK reason code >= 0x80, e.g. an ACL denial). */
  rejected = 0;
  /** Readings not sent (no sample) because the sensor was in an injected dropout. */
  dropoutSamples = 0;
  /** Readings sent and not yet acknowledged, across devices. */
  inFlight = 0;
  /** Readings waiting in devices' offline queues. */
  queued = 0;
  /** Device provisioning by claim: devices that obtained a certificate, and that failed to. */
  provisioned = 0;
  provisioningFailures = 0;
  /** Injected anomalies by kind (labels written). */
  readonly anomalies: Record<AnomalyKind, number> = Object.fromEntries(
    ANOMALY_KINDS.map((k) => [k, 0]),
  ) as Record<AnomalyKind, number>;
  /** Time from publish to PUBACK, ms (QoS 1 only). */
  readonly ackLatency = new LatencyHistogram();
  /** The last error of each kind, for the summary (a fleet of 10,000 must not print 10,000 lines). */
  readonly lastErrors = new Map<string, string>();

  noteError(kind: string, message: string): void {
    this.lastErrors.set(kind, message);
  }

  /** A plain copy of the counters, for sampling rates over time. */
  snapshot(): FleetCounters {
    return {
      at: performance.now(),
      devices: this.devices,
      connected: this.connected,
      everConnected: this.everConnected,
      connectFailures: this.connectFailures,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      published: this.published,
      acknowledged: this.acknowledged,
      resent: this.resent,
      dropped: this.dropped,
      rejected: this.rejected,
      inFlight: this.inFlight,
      queued: this.queued,
    };
  }
}

/** Counters at one instant ({@link FleetStats.snapshot}). */
export interface FleetCounters {
  /** performance.now() when taken. */
  readonly at: number;
  readonly devices: number;
  readonly connected: number;
  readonly everConnected: number;
  readonly connectFailures: number;
  readonly disconnects: number;
  readonly reconnects: number;
  readonly published: number;
  readonly acknowledged: number;
  readonly resent: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly inFlight: number;
  readonly queued: number;
}

/**
 * What the scoring function reports as pipeline metrics, computed from what it already knows at each step: the
 * model in service, the watermark, a finished window, a batch transform. Keeps the metric arithmetic out of the
 * scoring steps themselves.
 */
import type { MetricsPublisher } from "../ml-common/metrics";

export class ScoringMetrics {
  constructor(
    private readonly publisher: MetricsPublisher | undefined,
    private readonly now: () => number,
  ) {}

  private seconds(sinceMs: number): number {
    return Math.max(0, (this.now() - sinceMs) / 1000);
  }

  /** The model in service, promoted at `promotedAt` (ISO). */
  modelInService(promotedAt: string): void {
    const at = Date.parse(promotedAt);
    if (Number.isFinite(at)) this.publisher?.publish({ modelAge: this.seconds(at) });
  }

  /** How far the watermark (`scoredThroughMs`) is behind the clock. */
  lag(scoredThroughMs: number): void {
    this.publisher?.publish({ scoringLag: this.seconds(scoredThroughMs) });
  }

  /** A finished window: what was scored and found, and the lag once the watermark moved to `untilMs`. */
  window(
    outcome: {
      readonly vectors: number;
      readonly anomalies: number;
      readonly incidents: number;
      readonly alerts: number;
    },
    untilMs: number,
  ): void {
    this.publisher?.publish({
      readingsScored: outcome.vectors,
      anomaliesDetected: outcome.anomalies,
      anomalyIncidents: outcome.incidents,
      anomalyAlertsSent: outcome.alerts,
      scoringLag: this.seconds(untilMs),
    });
  }

  /** A batch transform, from its input written (`preparedAtMs`) to its scores collected now. */
  transform(preparedAtMs: number): void {
    this.publisher?.publish({ batchTransformSeconds: this.seconds(preparedAtMs) });
  }

  /** Whether metrics go anywhere (a step that must read state to report skips the read otherwise). */
  get enabled(): boolean {
    return this.publisher !== undefined;
  }
}

/**
 * The connection schedule of a load profile: when each device comes online and goes offline, in wall time.
 * One timer for the whole fleet walks a sorted list of events (like the sample scheduler), so a ramp over
 * 10,000 devices costs one `setTimeout` at a time, not one per device.
 */
import { onlineWindows, type LoadProfile } from "../../components/telemetry/load-profile";
import type { SimClock } from "./clock";

/** One online window of a device, in simulated time (ms since epoch) and in wall time (performance.now()). */
export interface DeviceWindow {
  readonly simStart: number;
  readonly simEnd: number;
  readonly wallStart: number;
  readonly wallEnd: number;
}

/** The windows of the device of `rank` on `clock`. */
export function windowsOf(profile: LoadProfile, rank: number, clock: SimClock): DeviceWindow[] {
  return onlineWindows(profile, rank).map((w) => {
    const simStart = clock.simStartMs + w.startMs;
    const simEnd = clock.simStartMs + w.endMs;
    return { simStart, simEnd, wallStart: clock.wallAt(simStart), wallEnd: clock.wallAt(simEnd) };
  });
}

interface TimelineEvent {
  readonly at: number;
  readonly device: number;
  readonly online: boolean;
}

export class ProfileTimeline {
  private readonly events: TimelineEvent[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  /**
   * @param windows per device (by index), sorted and disjoint
   * @param onChange called when device `index` should come online (`true`) or go offline (`false`)
   */
  constructor(
    readonly windows: readonly (readonly DeviceWindow[])[],
    private readonly onChange: (index: number, online: boolean) => void,
  ) {
    this.events = windows
      .flatMap((list, device) =>
        list.flatMap((w) => [
          { at: w.wallStart, device, online: true },
          { at: w.wallEnd, device, online: false },
        ]),
      )
      // Offline before online at the same instant: a device never holds two connections.
      .sort((a, b) => a.at - b.at || Number(a.online) - Number(b.online));
  }

  /** Events not yet delivered. */
  get pending(): number {
    return this.events.length - this.next;
  }

  start(): void {
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const now = performance.now();
    while (this.next < this.events.length && (this.events[this.next] as TimelineEvent).at <= now) {
      const event = this.events[this.next++] as TimelineEvent;
      this.onChange(event.device, event.online);
    }
    const upcoming = this.events[this.next];
    if (upcoming) this.timer = setTimeout(this.tick, Math.max(1, upcoming.at - performance.now()));
  };
}

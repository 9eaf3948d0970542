/**
 * `npm run fleet -- [options]` / `sensor-fleet [options]`: run a simulated sensor fleet.
 * Thin: parse options (options.ts), plan (plan.ts), run (fleet.ts), report (progress.ts, summary.ts), keep
 * run files (run-files.ts: saved certificates, summary and labels under --out).
 * Exit status: 0 every reading delivered, 1 a reading lost or a device never connected, 2 bad options.
 */
import { writeFleetFile, type FleetDeviceCredentials } from "../components/telemetry/fleet-file";
import { Fleet } from "./fleet";
import { helpText } from "./help";
import { parseFleetOptions, UsageError } from "./options";
import { planFleet } from "./plan";
import { ProgressReporter } from "./progress";
import type { ProvisionedCredentials } from "./provisioning";
import { RunFiles } from "./run-files";
import { formatSummary } from "./summary";

export interface CliStreams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(
  argv: readonly string[],
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const { stdout, stderr } = streams;
  let plan: ReturnType<typeof planFleet>;
  let options: ReturnType<typeof parseFleetOptions>;
  const provisioned = new Map<string, ProvisionedCredentials>();
  try {
    options = parseFleetOptions(argv);
    if (options.help) {
      stdout.write(`${helpText()}\n`);
      return 0;
    }
    plan = planFleet(options);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`sensor-fleet: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const warning of plan.warnings) stderr.write(`sensor-fleet: warning: ${warning}\n`);
  const files = new RunFiles(options, (message) => log(stderr, false, message));
  let runConfig: typeof plan.config;
  try {
    runConfig = await files.withSavedCredentials(plan.config);
  } catch (err) {
    stderr.write(`sensor-fleet: --credentials ${options.credentialsStore}: ${(err as Error).message}\n`);
    return 1;
  }
  const fleet = new Fleet({
    ...runConfig,
    labelsPath: files.labelsPath(plan.config),
    onProvisioned: (device, credentials) => {
      provisioned.set(device.thingName, credentials);
      files.certificateObtained(device.thingName, credentials);
    },
  });
  const { config } = plan;
  log(
    stderr,
    options.quiet,
    `${config.devices.length} devices (shard ${config.shardLabel}) -> ${config.transport.description}, MQTT ${config.protocol}, QoS ${config.qos}`,
  );

  const onSignal = (signal: NodeJS.Signals): void => {
    if (fleet.phase === "draining" || fleet.phase === "disconnecting") {
      log(stderr, false, `${signal} again: not waiting for in-flight readings`);
      fleet.abort();
      return;
    }
    log(stderr, false, `${signal}: stopping, waiting for in-flight readings (again to abort)`);
    fleet.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (options.startAt !== undefined) {
    log(stderr, options.quiet, `waiting until ${new Date(options.startAt).toISOString()} (--at)`);
    await waitUntil(options.startAt, fleet);
  }
  const progress = options.quiet ? undefined : new ProgressReporter(fleet, { stream: stderr });
  progress?.start();
  if (config.profile) {
    log(stderr, options.quiet, `profile ${config.profile.text}: devices come online as it says`);
  } else {
    void fleet.rampedUp.then((ms) =>
      log(
        stderr,
        options.quiet,
        `ramp-up: ${fleet.stats.everConnected}/${config.devices.length} connected in ${Math.round(ms)} ms`,
      ),
    );
  }
  try {
    const summary = await fleet.run();
    progress?.stop();
    if (options.saveFleetPath !== undefined && plan.fleetFile) {
      const devices: FleetDeviceCredentials[] = plan.fleetFile.devices.map((d) => {
        const issued = provisioned.get(d.thingName);
        return issued
          ? { ...d, certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem }
          : d;
      });
      writeFleetFile(options.saveFleetPath, { ...plan.fleetFile, devices });
      log(
        stderr,
        options.quiet,
        `wrote ${provisioned.size} provisioned certificates to ${options.saveFleetPath}`,
      );
    }
    const saved = await files.finish(summary);
    stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    if (!summary.ok) stderr.write(`sensor-fleet: failed: ${failureReason(summary)}\n`);
    if (!saved) stderr.write("sensor-fleet: failed: run files not written (see above)\n");
    return summary.ok && saved ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function failureReason(summary: Awaited<ReturnType<Fleet["run"]>>): string {
  const reasons: string[] = [];
  if (summary.failed.total > 0) reasons.push(`${summary.failed.total} readings not delivered`);
  if (summary.devicesConnected < summary.devices)
    reasons.push(`${summary.devices - summary.devicesConnected} devices never connected`);
  if (summary.provisioningFailures > 0)
    reasons.push(`${summary.provisioningFailures} devices failed to provision`);
  const lastError = Object.values(summary.errors)[0];
  return `${reasons.join(", ")}${lastError ? ` (e.g. ${lastError})` : ""}`;
}

/** Sleeps until wall-clock `at` (ms since epoch), or until the fleet is stopped meanwhile. */
async function waitUntil(at: number, fleet: Fleet): Promise<void> {
  while (Date.now() < at && fleet.phase === "ramp-up" && !fleet.stopping) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, at - Date.now())));
  }
}

function log(stderr: NodeJS.WriteStream, quiet: boolean, message: string): void {
  if (!quiet) stderr.write(`sensor-fleet: ${message}\n`);
}

/** Runs {@link main} as the process and exits with its status. */
export function runAsProcess(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Native MQTT clients can keep the loop alive a moment after close; do not hang the shell.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`sensor-fleet: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runAsProcess();

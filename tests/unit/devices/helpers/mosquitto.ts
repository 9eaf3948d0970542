/**
 * Runs Debian's mosquitto for system tests: a generated config on a free loopback port, optionally with mutual
 * TLS (`require_certificate`, `use_identity_as_username`: the certificate CN is the user) and an ACL file,
 * persistence in a temp directory so a restart keeps sessions (as a managed broker would). Stop and restart
 * it to simulate a broker outage.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import type { CertificateAuthority, IssuedCertificate } from "../../../../devices/pki";

export interface MosquittoOptions {
  /** Directory for the config, certificates, ACL, log and persistence. */
  readonly dir: string;
  /** Mutual TLS with these certificates; plain MQTT (anonymous) without. */
  readonly tls?: { readonly ca: CertificateAuthority; readonly server: IssuedCertificate };
  /** ACL file contents (mosquitto `acl_file` syntax). */
  readonly acl?: string;
}

/** The mosquitto binary: on the PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
export function mosquittoBinary(): string | undefined {
  return ["mosquitto", "/usr/sbin/mosquitto"].find(
    (bin) => spawnSync(bin, ["-h"], { stdio: "ignore" }).error === undefined,
  );
}

/** Whether mosquitto is installed; the suite says how to install it when not. */
export function mosquittoAvailable(): boolean {
  return mosquittoBinary() !== undefined;
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private constructor(
    readonly port: number,
    private readonly configPath: string,
    readonly logPath: string,
  ) {}

  static async start(options: MosquittoOptions): Promise<Mosquitto> {
    const port = await freePort();
    const { dir } = options;
    const lines = [
      // Started as root (CI containers), mosquitto would switch to the `mosquitto` user and lose access to the files.
      "user root",
      "per_listener_settings false",
      `listener ${port} 127.0.0.1`,
      "persistence true",
      `persistence_location ${dir}/`,
      // Readings queued for an offline persistent subscriber (default 1000 is too few for a fleet).
      "max_queued_messages 1000000",
      `log_dest file ${join(dir, "mosquitto.log")}`,
      "log_type error",
      "log_type warning",
      "log_type notice",
      "connection_messages false",
    ];
    if (options.tls) {
      writeFileSync(join(dir, "ca.pem"), options.tls.ca.certificatePem);
      writeFileSync(join(dir, "server.pem"), options.tls.server.certificatePem);
      writeFileSync(join(dir, "server.key"), options.tls.server.privateKeyPem, { mode: 0o600 });
      lines.push(
        `cafile ${join(dir, "ca.pem")}`,
        `certfile ${join(dir, "server.pem")}`,
        `keyfile ${join(dir, "server.key")}`,
        "require_certificate true",
        "use_identity_as_username true",
        "allow_anonymous false",
      );
    } else {
      lines.push("allow_anonymous true");
    }
    if (options.acl !== undefined) {
      writeFileSync(join(dir, "acl"), options.acl);
      lines.push(`acl_file ${join(dir, "acl")}`);
    }
    const configPath = join(dir, "mosquitto.conf");
    writeFileSync(configPath, `${lines.join("\n")}\n`);
    const broker = new Mosquitto(port, configPath, join(dir, "mosquitto.log"));
    await broker.restart();
    return broker;
  }

  /** Starts (again) on the same port and waits until it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(mosquittoBinary() ?? "mosquitto", ["-c", this.configPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto did not start on port ${this.port}: ${stderr || `see ${this.logPath}`}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the broker (SIGTERM: it saves its persistence file, as a broker restart would). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill(signal);
    await this.exited;
    this.child = undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

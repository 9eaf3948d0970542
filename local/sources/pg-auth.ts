/**
 * Password authentication in front of PGlite. pglite-socket speaks the PostgreSQL wire protocol but accepts any
 * user without a password, as superuser; this proxy is what listens on the TCP port instead. It answers the
 * start-up itself with SCRAM-SHA-256 (RFC 5802/7677, what RDS PostgreSQL and node-postgres use, so the password
 * never crosses the socket), and only a client that proves the password for the configured user is connected
 * to PGlite, which listens on a Unix socket in a private folder. A wrong user or password gets PostgreSQL's own
 * refusal (FATAL 28P01) and the connection is closed.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import * as net from "node:net";

export interface PgCredentials {
  readonly username: string;
  readonly password: string;
}

export interface PgAuthStats {
  authenticated: number;
  refused: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;
const SCRAM = "SCRAM-SHA-256";
const ITERATIONS = 4096;
/** Time a client has to authenticate. */
const AUTH_TIMEOUT_MS = 10_000;
/** Start-up messages are small; a larger one is not PostgreSQL. */
const MAX_STARTUP_BYTES = 10_000;

const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest();

export class PgAuthProxy {
  readonly stats: PgAuthStats = { authenticated: 0, refused: 0 };
  private readonly salt = randomBytes(16);
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;

  /** @param upstream path of the Unix socket PGlite listens on */
  constructor(
    private readonly upstream: string,
    private readonly credentials: PgCredentials,
    private readonly maxConnections = 8,
  ) {
    const salted = pbkdf2Sync(credentials.password, this.salt, ITERATIONS, 32, "sha256");
    this.storedKey = sha256(hmac(salted, "Client Key"));
    this.serverKey = hmac(salted, "Server Key");
  }

  /** Listens on `host:port` (0: any free port); resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    server.maxConnections = this.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.removeAllListeners("error");
        server.on("error", (err) => process.emitWarning(`historical database proxy: ${err.message}`));
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    client.setTimeout(AUTH_TIMEOUT_MS, () => client.destroy());
    let phase: "startup" | "initial" | "final" | "done" = "startup";
    let buffered = Buffer.alloc(0);
    let startup = Buffer.alloc(0);
    let user = "";
    let clientFirstBare = "";
    let serverFirst = "";
    let nonce = "";

    const refuse = (message: string) => {
      phase = "done";
      this.stats.refused++;
      client.end(errorResponse(message));
    };
    const handle = (message: Buffer) => {
      if (phase === "startup") {
        const code = message.readInt32BE(4);
        if (message.length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          client.write("N"); // no TLS on the loopback port: the client goes on in the clear
          return;
        }
        if (code !== PROTOCOL_3) return refuse("unsupported frontend protocol");
        startup = Buffer.from(message);
        user = startupParameters(message).user ?? "";
        client.write(authentication(10, Buffer.from(`${SCRAM}\0\0`)));
        phase = "initial";
        return;
      }
      if (message[0] !== 0x70) return refuse("expected a SASL message");
      if (phase === "initial") {
        const mechanismEnd = message.indexOf(0, 5);
        if (message.toString("utf8", 5, mechanismEnd) !== SCRAM) return refuse(`only ${SCRAM} is accepted`);
        const match = /^n,,(n=[^,]*,r=([^,]+))$/.exec(message.toString("utf8", mechanismEnd + 5));
        if (!match) return refuse("malformed SCRAM client-first message");
        clientFirstBare = match[1]!;
        nonce = `${match[2]}${randomBytes(18).toString("base64")}`;
        serverFirst = `r=${nonce},s=${this.salt.toString("base64")},i=${ITERATIONS}`;
        client.write(authentication(11, Buffer.from(serverFirst)));
        phase = "final";
        return;
      }
      const match = /^(c=biws,r=([^,]+)),p=([A-Za-z0-9+/=]+)$/.exec(message.toString("utf8", 5));
      const proof = match ? Buffer.from(match[3]!, "base64") : Buffer.alloc(0);
      const authMessage = `${clientFirstBare},${serverFirst},${match?.[1] ?? ""}`;
      const signature = hmac(this.storedKey, authMessage);
      const proven =
        match?.[2] === nonce &&
        proof.length === signature.length &&
        timingSafeEqual(sha256(xor(proof, signature)), this.storedKey);
      if (!proven || user !== this.credentials.username)
        return refuse(`password authentication failed for user "${user}"`);
      client.write(
        authentication(12, Buffer.from(`v=${hmac(this.serverKey, authMessage).toString("base64")}`)),
      );
      phase = "done";
      this.connectUpstream(client, startup, buffered);
    };

    client.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (phase !== "done") {
        // Start-up messages have no type byte; the SASL ones do.
        const lengthAt = phase === "startup" ? 0 : 1;
        if (buffered.length < lengthAt + 4) return;
        const length = buffered.readInt32BE(lengthAt) + lengthAt;
        if (length < lengthAt + 8 || length > MAX_STARTUP_BYTES) return refuse("malformed start-up packet");
        if (buffered.length < length) return;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        handle(message);
      }
    });
  }

  /** Authenticated: the rest of the conversation is between the client and PGlite. */
  private connectUpstream(client: net.Socket, startup: Buffer, rest: Buffer): void {
    client.removeAllListeners("data");
    client.setTimeout(0);
    client.pause();
    this.stats.authenticated++;
    const upstream = net.connect(this.upstream);
    this.sockets.add(upstream);
    upstream.once("close", () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.once("close", () => upstream.destroy());
    upstream.once("connect", () => {
      upstream.write(startup);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}

function startupParameters(message: Buffer): Record<string, string> {
  const parts = message.toString("utf8", 8).split("\0");
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i] !== ""; i += 2) parameters[parts[i]!] = parts[i + 1]!;
  return parameters;
}

/** An Authentication message: 'R', length, the SASL code, its data. */
function authentication(code: number, data: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.write("R", 0);
  head.writeInt32BE(8 + data.length, 1);
  head.writeInt32BE(code, 5);
  return Buffer.concat([head, data]);
}

/** PostgreSQL's refusal: ErrorResponse, severity FATAL, SQLSTATE 28P01 (invalid_password). */
function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C28P01\0M${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

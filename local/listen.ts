/**
 * How the local backend's servers start listening (the MQTT broker, the HTTP API, the dashboard): one place for
 * the error a busy port gives, so each names its part, its address and the option that moves it.
 */
import type { AddressInfo, Server } from "node:net";

export interface ListenOptions {
  /** The part, for the error: "the broker", "the dashboard". */
  readonly what: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** The command-line option that sets the port, for the error. */
  readonly portOption: string;
  /**
   * Errors once listening (a failed accept: EMFILE, ENFILE), which do not stop the server.
   * @default - the start-up listener stays: the first such error is swallowed, a second one is thrown
   */
  readonly onAcceptError?: (err: Error) => void;
}

/** Listens; resolves with the port bound, rejects with a clear error when the port is in use. */
export async function listenLocally(server: Server, options: ListenOptions): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(
              `${options.what} cannot listen on ${options.host}:${options.port}: the port is in use; pass ${options.portOption} with another port, or 0 for any free one`,
            )
          : err,
      ),
    );
    server.listen(options.port, options.host, () => {
      if (options.onAcceptError) {
        server.removeAllListeners("error");
        server.on("error", options.onAcceptError);
      }
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
